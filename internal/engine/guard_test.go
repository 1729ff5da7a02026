package engine

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/reconcile"
)

// A panic in one workflow's reconcile ends that workflow in Error, naming
// the panic, kills its running steps, frees its locks and logs the stack,
// instead of killing the server (and again on every restart, as it
// resumes the workflow). A step still running is killed first and the
// workflow ends, its locks freed, only once the step has exited.
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
	// The workflow holds a mutex, and its running step another.
	wf.Status.Synchronization = &wfv1.SynchronizationStatus{Tokens: map[string]map[string]uint64{
		"default/boom": {"default/Mutex/w": 1}, "default/boom/boom-1": {"default/Mutex/s": 2}}}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	boom := func() *reconcile.Plan { panic("index out of range [3]") }
	plan, crashed := guardReconcile(log, wf, nil, now, boom)
	if plan == nil || plan.Done || !crashed {
		t.Fatalf("plan %+v crashed %v, want the workflow not ended while its step runs", plan, crashed)
	}
	if _, ok := plan.Kill["boom-1"]; !ok || len(plan.Kill) != 1 {
		t.Fatalf("kills %v, want the running step boom-1 only", plan.Kill)
	}
	if wf.Status.Phase != wfv1.PhaseRunning || !strings.Contains(wf.Status.Message, "index out of range [3]") || len(plan.Release) != 0 {
		t.Fatalf("workflow %s %q, release %v: want it Running, naming the panic, nothing freed", wf.Status.Phase, wf.Status.Message, plan.Release)
	}
	if n := wf.Status.Nodes["boom-1"]; n.Phase != wfv1.PhaseRunning {
		t.Fatalf("running step is %s, want it Running until it exits", n.Phase)
	}
	if !strings.Contains(logs.String(), "index out of range [3]") || !strings.Contains(logs.String(), "guard_test.go") {
		t.Fatalf("log %q, want the panic and its stack", logs.String())
	}
	// The step's exit comes; the reconcile panics again.
	exit := reconcile.Event{Kind: reconcile.StepExited, NodeID: "boom-1", At: now, Result: &domain.StepResult{ExitCode: 137, Killed: "x"}}
	plan, _ = guardReconcile(log, wf, []reconcile.Event{exit}, now, boom)
	if !plan.Done || wf.Status.Phase != wfv1.PhaseError || !strings.Contains(wf.Status.Message, "index out of range [3]") || wf.Status.FinishedAt == nil {
		t.Fatalf("after the exit: done %v, workflow %s %q, want Error naming the panic, with a finish time", plan.Done, wf.Status.Phase, wf.Status.Message)
	}
	if !slices.Contains(plan.Release, "default/boom") || !slices.Contains(plan.Release, "default/boom/boom-1") {
		t.Fatalf("release %v, want the workflow's and the step's locks freed", plan.Release)
	}
	for id, want := range map[string]string{"boom": wfv1.PhaseError, "boom-1": wfv1.PhaseError, "boom-2": wfv1.PhaseSucceeded} {
		if n := wf.Status.Nodes[id]; n.Phase != want {
			t.Fatalf("node %s is %s, want %s", id, n.Phase, want)
		}
	}
	// Without a panic the plan passes through.
	want := &reconcile.Plan{WakeAt: now}
	if got, crashed := guardReconcile(log, wf, nil, now, func() *reconcile.Plan { return want }); got != want || crashed {
		t.Fatalf("got %+v (crashed %v), want the reconcile's own plan", got, crashed)
	}
}
