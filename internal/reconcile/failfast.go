package reconcile

import "github.com/semaflow/semaflow/api/wfv1"

// failFastMessage is Argo's message for a steps or DAG template with
// `failFast: true` that stopped because a child failed.
const failFastMessage = "template has failed or errored children and failFast enabled"

func isFailFast(t *wfv1.Template) bool { return t.FailFast != nil && *t.FailFast }

// failFastStop applies a steps or DAG template's `failFast: true` as
// Argo's checkParallelism does: once a Pod, Steps or DAG node within its
// boundary failed or errored, the template starts nothing more, and once
// none of its pods runs it fails, with its last step group. It reports
// whether the walk stops here.
func (o *op) failFastStop(node *wfv1.NodeStatus, tmpl *wfv1.Template) bool {
	if !isFailFast(tmpl) || o.unsuccessful(node.ID) == 0 {
		return false
	}
	if o.activePodsIn(node.ID) > 0 {
		return true
	}
	if tmpl.Steps != nil {
		if g := o.lastStepGroup(node); g != nil {
			o.complete(g, wfv1.PhaseFailed, failFastMessage)
		}
	}
	o.complete(node, wfv1.PhaseFailed, failFastMessage)
	return true
}

// countsAsUnsuccessful is Argo's getUnsuccessfulChildrenCounter, without
// the boundary: a failed or errored Pod, Steps or DAG node.
func countsAsUnsuccessful(n *wfv1.NodeStatus) bool {
	return (isStep(n.Type) || n.Type == NodeSteps || n.Type == NodeDAG) && isFailure(n.Phase)
}

// unsuccessful counts the failed nodes within a boundary. A failFast
// template asks before each child it would start, so the count is kept
// (complete updates it) rather than recounted.
func (o *op) unsuccessful(boundaryID string) int {
	if k, ok := o.failedIn[boundaryID]; ok {
		return k
	}
	k := 0
	for _, n := range o.nodes {
		if n.BoundaryID == boundaryID && countsAsUnsuccessful(n) {
			k++
		}
	}
	if o.failedIn == nil {
		o.failedIn = map[string]int{}
	}
	o.failedIn[boundaryID] = k
	return k
}

// activePodsIn counts the pods within a boundary that run or are about
// to, not counting those that wait for a lock (Argo's getActivePods).
func (o *op) activePodsIn(boundaryID string) int {
	k := 0
	for _, n := range o.nodes {
		if isStep(n.Type) && n.BoundaryID == boundaryID && !fulfilled(n) &&
			(n.SynchronizationStatus == nil || n.SynchronizationStatus.Waiting == "") {
			k++
		}
	}
	return k
}

// lastStepGroup is the step group a steps node reached: the one Argo
// finds as the leaf of its chain of groups.
func (o *op) lastStepGroup(node *wfv1.NodeStatus) *wfv1.NodeStatus {
	var last *wfv1.NodeStatus
	for _, id := range node.Children {
		if c := o.nodes[id]; c != nil && c.Type == NodeStepGroup {
			last = c
		}
	}
	return last
}
