package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/reconcile"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

// ttlWorkflow is a one-step workflow named name that exits with code and
// keeps the given ttlStrategy (YAML flow mapping, "" for none).
func ttlWorkflow(name string, code int, ttl string) string {
	s := fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: %s}
spec:
  entrypoint: main
`, name)
	if ttl != "" {
		s += "  ttlStrategy: " + ttl + "\n"
	}
	return s + fmt.Sprintf(`  templates:
  - {name: main, container: {image: x, command: [sh, -c, "exit %d"]}}
`, code)
}

// submitEnded submits a workflow and waits for its end.
func submitEnded(t *testing.T, eng *engine.Engine, text string) *wfv1.Workflow {
	t.Helper()
	ctx := context.Background()
	sub, err := eng.Submit(ctx, testkit.ParseWorkflow(t, text))
	if err != nil {
		t.Fatal(err)
	}
	wf, err := eng.Wait(ctx, sub.Metadata.UID)
	if err != nil {
		t.Fatal(err)
	}
	return wf
}

// gone waits until the workflow is deleted, failing the test after
// within.
func gone(t *testing.T, eng *engine.Engine, name string, within time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		_, err := eng.Get(context.Background(), "default", name)
		if errors.Is(err, store.ErrNotFound) {
			return time.Now()
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("workflow %s is still there %s after it ended", name, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// noDir waits a moment for a deleted workflow's directory to go: it is
// removed just after the workflow's rows.
func noDir(t *testing.T, dir string) {
	t.Helper()
	for range 50 {
		if _, err := os.Stat(dir); os.IsNotExist(err) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("%s is still there after its workflow was deleted", dir)
}

func exists(t *testing.T, eng *engine.Engine, name string) bool {
	t.Helper()
	_, err := eng.Get(context.Background(), "default", name)
	if errors.Is(err, store.ErrNotFound) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

// ttlStrategy deletes an ended workflow the strategy's seconds after its
// status.finishedAt, as Argo's TTL controller does: secondsAfterFailure
// for a Failed one, secondsAfterSuccess for a Succeeded one, else
// secondsAfterCompletion. Its step directories go with it.
func TestTTLDeletesEndedWorkflows(t *testing.T) {
	l := testkit.Open(t, testkit.Options{})
	defer func() { _ = l.Close() }()
	l.Engine.StartTTL()
	ok := submitEnded(t, l.Engine, ttlWorkflow("ok", 0, "{secondsAfterSuccess: 1, secondsAfterFailure: 100}"))
	bad := submitEnded(t, l.Engine, ttlWorkflow("bad", 1, "{secondsAfterFailure: 1, secondsAfterSuccess: 100}"))
	any := submitEnded(t, l.Engine, ttlWorkflow("any", 1, "{secondsAfterCompletion: 1}"))
	kept := submitEnded(t, l.Engine, ttlWorkflow("kept", 0, "{secondsAfterFailure: 0}"))
	none := submitEnded(t, l.Engine, ttlWorkflow("none", 0, ""))
	if ok.Status.Phase != wfv1.PhaseSucceeded || bad.Status.Phase != wfv1.PhaseFailed || any.Status.Phase != wfv1.PhaseFailed {
		t.Fatalf("phases %s %s %s", ok.Status.Phase, bad.Status.Phase, any.Status.Phase)
	}
	for _, wf := range []*wfv1.Workflow{ok, bad, any} {
		at := gone(t, l.Engine, wf.Metadata.Name, 10*time.Second)
		if early := wf.Status.FinishedAt.Add(time.Second); at.Before(early) {
			t.Errorf("%s deleted at %s, before finishedAt + 1s (%s)", wf.Metadata.Name, at, early)
		}
		noDir(t, filepath.Join(l.DataDir, "workflows", wf.Metadata.UID))
	}
	time.Sleep(500 * time.Millisecond)
	for _, wf := range []*wfv1.Workflow{kept, none} {
		if !exists(t, l.Engine, wf.Metadata.Name) {
			t.Errorf("%s was deleted: no ttl applies to it", wf.Metadata.Name)
		}
	}
}

// The TTL is counted from the stored finish time: an engine started
// after a restart deletes what fell due while none ran at once, and what
// falls due later on time.
func TestTTLSurvivesRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "semaflow.db")
	first := testkit.Open(t, testkit.Options{DB: db})
	// No reaper here, as under semaflow run: the next engine deletes them.
	due := submitEnded(t, first.Engine, ttlWorkflow("due", 0, "{secondsAfterCompletion: 0}"))
	later := submitEnded(t, first.Engine, ttlWorkflow("later", 0, "{secondsAfterCompletion: 3}"))
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	second := testkit.Open(t, testkit.Options{DB: db})
	defer func() { _ = second.Close() }()
	if !exists(t, second.Engine, "due") || !exists(t, second.Engine, "later") {
		t.Fatal("a workflow was deleted while no engine ran")
	}
	second.Engine.StartTTL()
	gone(t, second.Engine, "due", 5*time.Second)
	noDir(t, filepath.Join(second.DataDir, "workflows", due.Metadata.UID))
	if time.Now().Before(later.Status.FinishedAt.Add(3*time.Second)) && !exists(t, second.Engine, "later") {
		t.Fatal("later was deleted before its 3 seconds")
	}
	at := gone(t, second.Engine, "later", 10*time.Second)
	if at.Before(later.Status.FinishedAt.Add(3 * time.Second)) {
		t.Fatalf("later deleted at %s, before finishedAt + 3s", at)
	}
}

// A WorkflowTemplate's ttlStrategy applies to the workflows that run it
// by workflowTemplateRef; a workflow's own ttlStrategy replaces it whole
// (Argo's GetTTLStrategy).
func TestTTLFromWorkflowTemplate(t *testing.T) {
	l := testkit.Open(t, testkit.Options{})
	defer func() { _ = l.Close() }()
	ctx := context.Background()
	f := spec.Parse("tpl.yaml", []byte(`apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: tpl, namespace: default}
spec:
  entrypoint: main
  ttlStrategy: {secondsAfterSuccess: 1}
  templates:
  - {name: main, container: {image: x, command: ["true"]}}
`), spec.Options{})
	if d := f.AllDiags(); d.HasErrors() {
		t.Fatal(d)
	}
	if err := l.Engine.Apply(ctx, nil, []*wfv1.WorkflowTemplate{f.Docs[0].Template}); err != nil {
		t.Fatal(err)
	}
	l.Engine.StartTTL()
	ref := func(name, ttl string) string {
		s := "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: " + name + "}\nspec:\n  workflowTemplateRef: {name: tpl}\n"
		if ttl != "" {
			s += "  ttlStrategy: " + ttl + "\n"
		}
		return s
	}
	byTemplate := submitEnded(t, l.Engine, ref("by-template", ""))
	own := submitEnded(t, l.Engine, ref("own", "{secondsAfterFailure: 0}"))
	if byTemplate.Status.Phase != wfv1.PhaseSucceeded || own.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phases %s (%s), %s (%s)", byTemplate.Status.Phase, byTemplate.Status.Message, own.Status.Phase, own.Status.Message)
	}
	gone(t, l.Engine, "by-template", 10*time.Second)
	time.Sleep(time.Second)
	if !exists(t, l.Engine, "own") {
		t.Fatal("own was deleted: its own ttlStrategy (secondsAfterFailure only) replaces the template's")
	}
}

// A retried workflow runs again: the TTL counts from its last end, not
// from the first.
func TestTTLCountsFromLastEnd(t *testing.T) {
	l := testkit.Open(t, testkit.Options{})
	defer func() { _ = l.Close() }()
	ctx := context.Background()
	l.Engine.StartTTL()
	wf := submitEnded(t, l.Engine, ttlWorkflow("flaky", 1, "{secondsAfterFailure: 2}"))
	time.Sleep(1500 * time.Millisecond)
	if _, err := l.Engine.Retry(ctx, "default", "flaky", reconcile.RetryOptions{}); err != nil {
		t.Fatal(err)
	}
	again, err := l.Engine.Wait(ctx, wf.Metadata.UID)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Status.FinishedAt.After(*wf.Status.FinishedAt) {
		t.Fatalf("the retried run finished at %s, not after the first (%s)", again.Status.FinishedAt, wf.Status.FinishedAt)
	}
	at := gone(t, l.Engine, "flaky", 10*time.Second)
	if want := again.Status.FinishedAt.Add(2 * time.Second); at.Before(want) {
		t.Fatalf("deleted at %s, before its last end + 2s (%s): the first end's TTL deleted it", at, want)
	}
}
