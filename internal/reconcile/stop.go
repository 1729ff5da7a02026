package reconcile

import (
	"slices"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
)

// stopActive kills running pods, and under Terminate fails every node that
// is not done; Stop lets the walk finish and run the exit handlers, the
// workflow's and its steps', whose nodes it leaves alone (Argo runs them
// to their end).
func (o *op) stopActive() {
	var exempt map[string]bool
	if o.shutdown == "Stop" {
		exempt = o.exitHandlerNodes()
	}
	for _, n := range o.sortedNodes() {
		// An exit handler's steps and lock waits go on under Stop; a
		// suspend node in it fails as any does (Argo fails every active
		// suspend node under a shutdown), or it would wait for ever.
		if fulfilled(n) || exempt[n.ID] && n.Type != NodeSuspend {
			continue
		}
		if isStep(n.Type) {
			reason := "workflow shutdown with strategy: " + o.shutdown
			if o.wf.Status.Message != "" {
				reason = o.wf.Status.Message
			}
			switch {
			case n.Phase == wfv1.PhasePending && o.neverLaunched(n):
				o.unlaunch(n.ID)
				o.complete(n, wfv1.PhaseFailed, reason)
			case (n.Phase == wfv1.PhaseRunning || n.Phase == wfv1.PhasePending) && !isWaitingForLock(n):
				// A Pending step was handed to the executor (or adopted
				// from an earlier engine) and may be running already:
				// like a Running one it ends by its exit, its locks held
				// until then. One the engine never started ends by
				// StepNotStarted.
				o.plan.Kill[n.ID] = reason
			}
		}
		if n.Type == NodeSuspend || isWaitingForLock(n) {
			o.complete(n, wfv1.PhaseFailed, "workflow shutdown with strategy: "+o.shutdown)
		}
	}
}

// neverLaunched says whether a Pending step was never handed to the
// engine: planned by this very call, or waiting for its locks until this
// call granted them (it is launched later in this call, by the walk).
func (o *op) neverLaunched(n *wfv1.NodeStatus) bool {
	return o.launched[n.ID] || o.grantedFromWait[n.ID]
}

// unlaunch takes a step planned by this call out of plan.Start (at
// finish, all at once: one at a time would be quadratic in a large
// loop's starts) and keeps the walk from planning it.
func (o *op) unlaunch(id string) {
	if o.launched[id] {
		delete(o.launched, id)
		o.unlaunched = true
	}
}

// dropUnlaunched compacts plan.Start after unlaunch.
func (o *op) dropUnlaunched() {
	if o.unlaunched {
		o.plan.Start = slices.DeleteFunc(o.plan.Start, func(l Launch) bool { return !o.launched[l.NodeID] })
		o.unlaunched = false
	}
}

// noteGrant records, before the grant is applied, that holder's node was
// waiting for its locks: it was never launched.
func (o *op) noteGrant(holder string) {
	k, err := domain.ParseHolderKey(holder)
	if err != nil || k.NodeID == "" {
		return
	}
	if n := o.nodes[k.NodeID]; n != nil && isWaitingForLock(n) {
		if o.grantedFromWait == nil {
			o.grantedFromWait = map[string]bool{}
		}
		o.grantedFromWait[k.NodeID] = true
	}
}

// exitHandlerNodes gives the IDs of the exit handlers' nodes (the
// workflow's `<wf>.onExit` and every step's or task's `<node>.onExit`)
// and of every node below them: what Argo runs to its end under Stop
// (its exit nodes are those whose name ends so).
func (o *op) exitHandlerNodes() map[string]bool {
	var seen map[string]bool
	var stack []string
	for id, n := range o.nodes {
		// Hooked tells an exit handler from a DAG task named onExit.
		if strings.HasSuffix(n.Name, ".onExit") && n.NodeFlag != nil && n.NodeFlag.Hooked {
			if seen == nil {
				seen = map[string]bool{}
			}
			seen[id] = true
			stack = append(stack, id)
		}
	}
	for len(stack) > 0 {
		n := o.nodes[stack[len(stack)-1]]
		stack = stack[:len(stack)-1]
		if n == nil {
			continue
		}
		for _, c := range n.Children {
			if !seen[c] {
				seen[c] = true
				stack = append(stack, c)
			}
		}
	}
	return seen
}
