package testkit

import (
	"context"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/spec"
)

// ParseWorkflow parses a one-workflow manifest; a diagnostic ends the
// test.
func ParseWorkflow(tb testing.TB, text string) *wfv1.Workflow {
	tb.Helper()
	f := spec.Parse("bench.yaml", []byte(text), spec.Options{})
	if d := f.AllDiags(); d.HasErrors() {
		tb.Fatal(d)
	}
	return f.Docs[0].Workflow
}

// RunWorkflow submits wf to eng and returns it ended; a workflow that
// does not succeed ends the test.
func RunWorkflow(tb testing.TB, eng *engine.Engine, wf *wfv1.Workflow) *wfv1.Workflow {
	tb.Helper()
	ctx := context.Background()
	sub, err := eng.Submit(ctx, wf)
	if err != nil {
		tb.Fatal(err)
	}
	final, err := eng.Wait(ctx, sub.Metadata.UID)
	if err != nil {
		tb.Fatal(err)
	}
	if final.Status.Phase != wfv1.PhaseSucceeded {
		tb.Fatalf("workflow %s: %s", final.Status.Phase, final.Status.Message)
	}
	return final
}
