package reconcile

import (
	"fmt"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

func TestPrepareRetry(t *testing.T) {
	node := func(id, typ, phase string, children ...string) wfv1.NodeStatus {
		return wfv1.NodeStatus{ID: id, Name: id, Type: typ, Phase: phase, Children: children, Message: "was " + phase}
	}
	wf := &wfv1.Workflow{Metadata: wfv1.ObjectMeta{Name: "w"}, Spec: wfv1.WorkflowSpec{Shutdown: "Stop"},
		Status: wfv1.WorkflowStatus{Phase: wfv1.PhaseFailed, Message: "child failed", Nodes: map[string]wfv1.NodeStatus{
			"w":         node("w", NodeSteps, wfv1.PhaseFailed, "w[0]", "w[1]"),
			"w[0]":      node("w[0]", NodeStepGroup, wfv1.PhaseSucceeded, "w[0].a"),
			"w[0].a":    node("w[0].a", NodePod, wfv1.PhaseSucceeded),
			"w[1]":      node("w[1]", NodeStepGroup, wfv1.PhaseFailed, "w[1].b", "w[1].c"),
			"w[1].b":    node("w[1].b", NodeRetry, wfv1.PhaseFailed, "w[1].b(0)"),
			"w[1].b(0)": node("w[1].b(0)", NodePod, wfv1.PhaseError),
			"w[1].c":    node("w[1].c", NodeSkipped, wfv1.PhaseSkipped),
			"w.onExit":  node("w.onExit", NodePod, wfv1.PhaseSucceeded),
		}}}
	removed, err := PrepareRetry(wf, RetryOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(removed); got != "[w.onExit w[1].b(0)]" {
		t.Fatalf("removed %s", got)
	}
	want := map[string]string{"w": "Running", "w[0]": "Succeeded", "w[0].a": "Succeeded", "w[1]": "Running", "w[1].b": "Running", "w[1].c": "Skipped"}
	for id, phase := range want {
		if n := wf.Status.Nodes[id]; n.Phase != phase {
			t.Errorf("%s is %s, want %s", id, n.Phase, phase)
		}
	}
	if len(wf.Status.Nodes) != len(want) {
		t.Errorf("%d nodes left, want %d", len(wf.Status.Nodes), len(want))
	}
	if c := wf.Status.Nodes["w[1].b"].Children; len(c) != 0 {
		t.Errorf("the retry node still lists removed attempts: %v", c)
	}
	if m := wf.Status.Nodes["w[1]"].Message; m != "" {
		t.Errorf("a reopened group kept its message %q", m)
	}
	if wf.Status.Phase != wfv1.PhasePending || wf.Status.Message != "" || wf.Spec.Shutdown != "" {
		t.Errorf("workflow after retry: %s %q shutdown %q", wf.Status.Phase, wf.Status.Message, wf.Spec.Shutdown)
	}
	if _, err := PrepareRetry(wf, RetryOptions{}, nil); err == nil {
		t.Error("a Pending workflow was retried")
	}
}
