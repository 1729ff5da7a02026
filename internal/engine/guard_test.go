package engine

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/reconcile"
)

// A panic in one workflow's reconcile ends that workflow in Error, naming
// the panic, kills its running steps, frees its locks and logs the stack,
// instead of killing the server (and again on every restart, as it
// resumes the workflow).
func TestReconcilePanicFailsTheWorkflow(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	wf := &wfv1.Workflow{}
	wf.Metadata.Namespace, wf.Metadata.Name = "default", "boom"
	wf.Status.Phase = wfv1.PhaseRunning
	wf.Status.Nodes = map[string]wfv1.NodeStatus{
		"boom":   {ID: "boom", Name: "boom", Type: reconcile.NodeSteps, Phase: wfv1.PhaseRunning},
		"boom-1": {ID: "boom-1", Name: "boom[0].a", Type: reconcile.NodePod, Phase: wfv1.PhaseRunning},
		"boom-2": {ID: "boom-2", Name: "boom[0].b", Type: reconcile.NodePod, Phase: wfv1.PhaseSucceeded},
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	plan := guardReconcile(log, wf, now, func() *reconcile.Plan { panic("index out of range [3]") })
	if plan == nil || !plan.Done {
		t.Fatalf("plan %+v, want a finished workflow", plan)
	}
	if wf.Status.Phase != wfv1.PhaseError || !strings.Contains(wf.Status.Message, "index out of range [3]") || wf.Status.FinishedAt == nil {
		t.Fatalf("workflow %s %q, want Error naming the panic, with a finish time", wf.Status.Phase, wf.Status.Message)
	}
	if _, ok := plan.Kill["boom-1"]; !ok || len(plan.Kill) != 1 {
		t.Fatalf("kills %v, want the running step boom-1 only", plan.Kill)
	}
	if n := wf.Status.Nodes["boom-1"]; n.Phase != wfv1.PhaseError {
		t.Fatalf("running step is %s, want Error", n.Phase)
	}
	if n := wf.Status.Nodes["boom-2"]; n.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("finished step is %s, want it left Succeeded", n.Phase)
	}
	if !strings.Contains(logs.String(), "index out of range [3]") || !strings.Contains(logs.String(), "guard_test.go") {
		t.Fatalf("log %q, want the panic and its stack", logs.String())
	}
	// Without a panic the plan passes through.
	want := &reconcile.Plan{WakeAt: now}
	if got := guardReconcile(log, wf, now, func() *reconcile.Plan { return want }); got != want {
		t.Fatalf("got %+v, want the reconcile's own plan", got)
	}
}
