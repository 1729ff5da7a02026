package reconcile

import (
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Crashed ends a workflow whose reconcile panicked: it is Error with msg,
// its unfinished nodes are Error, its running steps are killed and its
// locks freed. It touches no template or expression, so that what
// panicked cannot panic again here (and again on every restart).
//
// A step that may still run (Running, or Pending and handed to the
// engine) is killed and ends by its exit, among events: until every such
// step has, the workflow and the nodes above its steps stay as they are,
// so that no lock is freed while a process of the workflow runs. The
// engine calls it again on the next round when the reconcile panics
// again; one that does not panic goes on as under a terminate.
func Crashed(wf *wfv1.Workflow, events []Event, msg string, now time.Time) *Plan {
	o := &op{wf: wf, now: now, plan: &Plan{Kill: map[string]string{}},
		nodes: map[string]*wfv1.NodeStatus{}, changed: map[string]bool{}, created: map[string]bool{},
		justGranted: map[string]bool{}, lockFailed: map[string]string{}, launched: map[string]bool{}}
	for id, n := range wf.Status.Nodes {
		n := n
		o.nodes[id] = &n
	}
	crashEnd := func(n *wfv1.NodeStatus) {
		n.Phase, n.Message, n.FinishedAt = wfv1.PhaseError, msg, tp(now)
		o.changed[n.ID] = true
	}
	for _, ev := range events {
		// A step's end, as the reconcile would record it but for its
		// outputs, which it does not read here.
		if ev.Kind != StepExited && ev.Kind != StepNotStarted {
			continue
		}
		if n := o.nodes[ev.NodeID]; n != nil && isStep(n.Type) && !fulfilled(n) {
			crashEnd(n)
		}
	}
	running := false
	for id, n := range o.nodes {
		if !fulfilled(n) && isStep(n.Type) && !isWaitingForLock(n) && (n.Phase == wfv1.PhaseRunning || n.Phase == wfv1.PhasePending) {
			o.plan.Kill[id] = msg
			running = true
		}
	}
	for _, n := range o.nodes {
		if fulfilled(n) || o.plan.Kill[n.ID] != "" {
			continue
		}
		if running && !isStep(n.Type) && n.Type != NodeSuspend {
			continue // above a step still running, maybe: later
		}
		crashEnd(n)
	}
	if running {
		// Recorded as a terminate too: should the next round's reconcile
		// not panic (the panic came from an event, or passed), it starts
		// nothing, not even an exit handler, and ends the workflow once
		// the killed steps have exited.
		o.wf.Status.Message = msg
		o.wf.Spec.Shutdown = "Terminate"
		return o.finish()
	}
	o.failWorkflow(wfv1.PhaseError, msg)
	return o.finish()
}
