package cli

import (
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// run's live view appends the estimate after a waiting node's position
// and leaves the engine's copies alone.
func TestWithStartsAppendsTheEstimate(t *testing.T) {
	wf := &wfv1.Workflow{Metadata: wfv1.ObjectMeta{Namespace: "default", Name: "w"},
		Status: wfv1.WorkflowStatus{Phase: wfv1.PhaseRunning}}
	const msg = "Waiting for default/Mutex/m lock. Lock status: 0/1 (position 2 of 3)"
	nodes := map[string]wfv1.NodeStatus{
		"w-1": {ID: "w-1", Phase: wfv1.PhasePending, Message: msg},
		"w-2": {ID: "w-2", Phase: wfv1.PhaseRunning},
	}
	est := func(ns, name, node string) (string, bool) {
		if ns == "default" && name == "w" && node == "w-1" {
			return "starts in ~2m10s (90%: 5m)", true
		}
		return "", false
	}
	_, got := withStarts(est, wf, nodes)
	if m := got["w-1"].Message; m != msg+", starts in ~2m10s (90%: 5m)" {
		t.Fatalf("message %q", m)
	}
	if nodes["w-1"].Message != msg || got["w-2"].Message != "" {
		t.Fatalf("changed what it was given or another node: %+v", got)
	}
	if _, same := withStarts(nil, wf, nodes); same["w-1"].Message != msg {
		t.Fatal("without an estimator the view changed")
	}
}
