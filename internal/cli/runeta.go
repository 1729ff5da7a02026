package cli

import (
	"maps"
	"strings"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/eta"
)

// startEstimator is engine.StartEstimate: a waiting workflow's or node's
// estimated start, false when it does not wait.
type startEstimator func(namespace, name, nodeID string) (eta.Start, bool)

// waitKey names a waiting workflow (node "") or node.
type waitKey struct{ ns, name, node string }

// waitsFor says whether a node or workflow waits for a lock.
func waitsFor(phase, msg string) bool {
	return (phase == wfv1.PhasePending || phase == "") && strings.HasPrefix(msg, "Waiting for ")
}

// waitKeys lists the lock waits of a workflow: its own, and its nodes'.
func waitKeys(wf *wfv1.Workflow, nodes map[string]wfv1.NodeStatus) []waitKey {
	ns, name := wf.Metadata.Namespace, wf.Metadata.Name
	var out []waitKey
	if waitsFor(wf.Status.Phase, wf.Status.Message) {
		out = append(out, waitKey{ns, name, ""})
	}
	for id, n := range nodes {
		if waitsFor(n.Phase, n.Message) {
			out = append(out, waitKey{ns, name, id})
		}
	}
	return out
}

// estimated is an estimator answering from estimates made beforehand
// (the live view asks the engine outside its own mutex).
func estimated(m map[waitKey]eta.Start) startEstimator {
	return func(ns, name, node string) (eta.Start, bool) {
		s, ok := m[waitKey{ns, name, node}]
		return s, ok
	}
}

// withStarts returns run's live view of a workflow with the estimated
// start appended after the queue position of each lock wait ("(position
// 3 of 7), starts in ~2m10s (90%: 5m)"): the engine's updates carry the
// message written when the wait began, and the estimate moves. wf and
// nodes are returned unchanged when nothing waits or est is nil.
func withStarts(est startEstimator, wf *wfv1.Workflow, nodes map[string]wfv1.NodeStatus, now time.Time) (*wfv1.Workflow, map[string]wfv1.NodeStatus) {
	if est == nil {
		return wf, nodes
	}
	ns, name := wf.Metadata.Namespace, wf.Metadata.Name
	if waitsFor(wf.Status.Phase, wf.Status.Message) {
		if s, ok := est(ns, name, ""); ok {
			c := *wf
			c.Status.Message += ", " + eta.Text(s, now)
			wf = &c
		}
	}
	copied := false
	for id, n := range nodes {
		if !waitsFor(n.Phase, n.Message) {
			continue
		}
		s, ok := est(ns, name, id)
		if !ok {
			continue
		}
		if !copied {
			nodes, copied = maps.Clone(nodes), true
		}
		n.Message += ", " + eta.Text(s, now)
		nodes[id] = n
	}
	return wf, nodes
}

// rowETA is the live table's ETA of a workflow: when its wait is
// expected to end, "~2m10s (90%: 5m)", or "unknown (no history yet)".
// The workflow's own wait comes first (nothing in it runs before);
// else, of its waiting nodes, the soonest known; "" when nothing waits
// or the engine has no estimate.
func rowETA(est startEstimator, wf *wfv1.Workflow, nodes map[string]wfv1.NodeStatus, now time.Time) string {
	if est == nil {
		return ""
	}
	var best eta.Start
	found := false
	for _, k := range waitKeys(wf, nodes) {
		s, ok := est(k.ns, k.name, k.node)
		if !ok {
			continue
		}
		if k.node == "" {
			best, found = s, true
			break
		}
		if !found || sooner(s, best) {
			best, found = s, true
		}
	}
	switch {
	case !found:
		return ""
	case !best.Known:
		return "unknown (" + best.Why + ")"
	}
	return "~" + eta.Short(best.P50.Sub(now)) + " (90%: " + eta.Short(best.P90.Sub(now)) + ")"
}

// sooner orders estimates: known before unknown, then by median and 90th
// percentile; unknowns by reason, so the choice does not follow map order.
func sooner(a, b eta.Start) bool {
	switch {
	case a.Known != b.Known:
		return a.Known
	case !a.Known:
		return a.Why < b.Why
	case !a.P50.Equal(b.P50):
		return a.P50.Before(b.P50)
	}
	return a.P90.Before(b.P90)
}
