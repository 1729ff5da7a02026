package cli

import (
	"maps"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// startEstimator is engine.StartEstimate: a waiting workflow's or node's
// estimated start in words, false when it does not wait.
type startEstimator func(namespace, name, nodeID string) (string, bool)

// withStarts returns run's live view of a workflow with the estimated
// start appended after the queue position of each lock wait ("(position
// 3 of 7), starts in ~2m10s (90%: 5m)"): the engine's updates carry the
// message written when the wait began, and the estimate moves. wf and
// nodes are returned unchanged when nothing waits or est is nil.
func withStarts(est startEstimator, wf *wfv1.Workflow, nodes map[string]wfv1.NodeStatus) (*wfv1.Workflow, map[string]wfv1.NodeStatus) {
	if est == nil {
		return wf, nodes
	}
	waits := func(phase, msg string) bool {
		return (phase == wfv1.PhasePending || phase == "") && strings.HasPrefix(msg, "Waiting for ")
	}
	ns, name := wf.Metadata.Namespace, wf.Metadata.Name
	if waits(wf.Status.Phase, wf.Status.Message) {
		if text, ok := est(ns, name, ""); ok {
			c := *wf
			c.Status.Message += ", " + text
			wf = &c
		}
	}
	copied := false
	for id, n := range nodes {
		if !waits(n.Phase, n.Message) {
			continue
		}
		text, ok := est(ns, name, id)
		if !ok {
			continue
		}
		if !copied {
			nodes, copied = maps.Clone(nodes), true
		}
		n.Message += ", " + text
		nodes[id] = n
	}
	return wf, nodes
}
