package reconcile

import (
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Crashed ends a workflow whose reconcile panicked: it is Error with msg,
// its unfinished nodes are Error, its running steps are killed and its
// locks freed. It touches no template or expression, so that what
// panicked cannot panic again here (and again on every restart).
func Crashed(wf *wfv1.Workflow, msg string, now time.Time) *Plan {
	o := &op{wf: wf, now: now, plan: &Plan{Kill: map[string]string{}},
		nodes: map[string]*wfv1.NodeStatus{}, changed: map[string]bool{}, created: map[string]bool{},
		justGranted: map[string]bool{}, lockFailed: map[string]string{}, launched: map[string]bool{}}
	for id, n := range wf.Status.Nodes {
		n := n
		o.nodes[id] = &n
	}
	for id, n := range o.nodes {
		if fulfilled(n) {
			continue
		}
		if isStep(n.Type) && !isWaitingForLock(n) {
			o.plan.Kill[id] = msg
		}
		n.Phase, n.Message, n.FinishedAt = wfv1.PhaseError, msg, tp(now)
		o.changed[id] = true
	}
	o.failWorkflow(wfv1.PhaseError, msg)
	return o.finish()
}
