package reconcile

import (
	"fmt"
	"sort"

	"github.com/semaflow/semaflow/api/wfv1"
)

// A Running workflow must always have something that will call Reconcile
// again and change it: a step in flight (its exit is an event), a lock
// wait (its grant is), a timer (Plan.WakeAt), a suspension (a resume is),
// or work this call planned (steps to start, locks to ask for). A workflow
// with none of these would sit Running forever in silence, so every call
// checks it and ends such a workflow at once, naming the stuck node.

// Stall describes a Running workflow that nothing will move on.
type Stall struct {
	// NodeID and Node name the deepest unfinished node; empty when the
	// workflow has no node at all.
	NodeID, Node string
	Why          string
}

// Message is the workflow's message for a stall.
func (s Stall) Message() string {
	if s.Node == "" {
		return "workflow stuck: it is Running but has no node, and nothing runs, waits or can start: " + s.Why
	}
	return fmt.Sprintf("workflow stuck: node %q is not finished, and nothing runs, waits for a lock or a timer, or can start: %s", s.Node, s.Why)
}

// CheckStall says whether wf, as a Reconcile call left it with plan, is
// Running with nothing that can ever move it on. It reads wf and plan
// only.
func CheckStall(wf *wfv1.Workflow, plan *Plan) (Stall, bool) {
	nodes := make(map[string]*wfv1.NodeStatus, len(wf.Status.Nodes))
	for id, n := range wf.Status.Nodes {
		n := n
		nodes[id] = &n
	}
	return findStall(wf, nodes, plan)
}

func findStall(wf *wfv1.Workflow, nodes map[string]*wfv1.NodeStatus, plan *Plan) (Stall, bool) {
	if wf.Status.Phase != wfv1.PhaseRunning || plan.Partial {
		return Stall{}, false
	}
	if len(plan.Start) > 0 || len(plan.Acquire) > 0 || len(plan.Kill) > 0 || !plan.WakeAt.IsZero() {
		return Stall{}, false
	}
	if wf.Spec.Suspend != nil && *wf.Spec.Suspend {
		return Stall{}, false // a resume moves it on
	}
	for _, n := range nodes {
		if fulfilled(n) {
			continue
		}
		if StepInFlight(n) || isWaitingForLock(n) || (n.Type == NodeSuspend && n.Phase == wfv1.PhaseRunning) {
			return Stall{}, false
		}
	}
	root := nodes[wf.Metadata.Name]
	if root == nil {
		return Stall{Why: "the entrypoint made no node"}, true
	}
	n := deepestUnfinished(root, nodes)
	if n == nil {
		// Every node ended, yet the workflow did not: its exit handler
		// or hooks made nothing.
		return Stall{NodeID: root.ID, Node: root.Name, Why: "every node has ended but the workflow has not"}, true
	}
	return Stall{NodeID: n.ID, Node: n.Name, Why: stallReason(n, nodes)}, true
}

// deepestUnfinished follows unfinished children down from n, first by
// ID; nil if n and all below it are finished. Bounded by the node count.
func deepestUnfinished(n *wfv1.NodeStatus, nodes map[string]*wfv1.NodeStatus) *wfv1.NodeStatus {
	var found *wfv1.NodeStatus
	if !fulfilled(n) {
		found = n
	}
	for steps := 0; steps <= len(nodes); steps++ {
		var next *wfv1.NodeStatus
		kids := append([]string{}, n.Children...)
		sort.Strings(kids)
		for _, id := range kids {
			if c := nodes[id]; c != nil && !fulfilled(c) {
				next = c
				break
			}
		}
		if next == nil {
			return found
		}
		n, found = next, next
	}
	return found
}

func stallReason(n *wfv1.NodeStatus, nodes map[string]*wfv1.NodeStatus) string {
	if isStep(n.Type) {
		return fmt.Sprintf("its step is %s but was never launched", n.Phase)
	}
	if len(n.Children) == 0 {
		return fmt.Sprintf("this %s node is %s but started nothing", n.Type, n.Phase)
	}
	ended := 0
	for _, id := range n.Children {
		if c := nodes[id]; c != nil && fulfilled(c) {
			ended++
		}
	}
	return fmt.Sprintf("this %s node is %s, but all %d of its children have ended", n.Type, n.Phase, ended)
}

// failStall ends a stalled workflow in Error: every unfinished node too,
// so no node says Running once the workflow has ended.
func (o *op) failStall() {
	st, stalled := findStall(o.wf, o.nodes, o.plan)
	if !stalled {
		return
	}
	msg := st.Message()
	for _, n := range o.sortedNodes() {
		if !fulfilled(n) {
			o.complete(n, wfv1.PhaseError, msg)
		}
	}
	o.failWorkflow(wfv1.PhaseError, msg)
}
