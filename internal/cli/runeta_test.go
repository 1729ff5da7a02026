package cli

import (
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/eta"
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
	now := time.Now()
	est := func(ns, name, node string) (eta.Start, bool) {
		if ns == "default" && name == "w" && node == "w-1" {
			return eta.Start{Known: true, P50: now.Add(130 * time.Second), P90: now.Add(5 * time.Minute)}, true
		}
		return eta.Start{}, false
	}
	_, got := withStarts(est, wf, nodes, now)
	if m := got["w-1"].Message; m != msg+", starts in ~2m10s (90%: 5m)" {
		t.Fatalf("message %q", m)
	}
	if nodes["w-1"].Message != msg || got["w-2"].Message != "" {
		t.Fatalf("changed what it was given or another node: %+v", got)
	}
	if _, same := withStarts(nil, wf, nodes, now); same["w-1"].Message != msg {
		t.Fatal("without an estimator the view changed")
	}
}
