package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

const generated = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: g-}
spec:
  entrypoint: main
  templates:
  - {name: main, suspend: {}}
`

// A generated name that is taken is generated again, as often as a
// bounded number of attempts allows: a collision in the 27^5 suffixes
// (likely among thousands of workflows) is no error, neither for one
// submission nor for one of a batch, which is created whole.
func TestGeneratedNameCollisionIsRetried(t *testing.T) {
	l := testkit.Open(t, testkit.Options{})
	defer func() {
		l.Engine.StopAll(true, "test over") // its workflows wait forever
		_ = l.Close()
	}()
	ctx := context.Background()
	wf := testkit.ParseWorkflow(t, generated)
	engine.SetNameSuffixes(l.Engine, "aaaaa", "aaaaa", "aaaaa", "bbbbb", "ccccc", "bbbbb", "ddddd")
	names := func(wfs ...*wfv1.Workflow) string {
		var s []string
		for _, w := range wfs {
			s = append(s, w.Metadata.Name)
		}
		return strings.Join(s, " ")
	}
	first, err := l.Engine.Submit(ctx, wf)
	if err != nil {
		t.Fatal(err)
	}
	second, err := l.Engine.Submit(ctx, wf)
	if err != nil {
		t.Fatalf("second submission, its generated name taken: %v", err)
	}
	if got := names(first, second); got != "g-aaaaa g-bbbbb" {
		t.Fatalf("names %q, want g-aaaaa g-bbbbb", got)
	}
	// A batch: the first collides with a stored name, the second with the
	// first's new one.
	batch, err := l.Engine.SubmitAll(ctx, []*wfv1.Workflow{wf, wf})
	if err != nil {
		t.Fatalf("a batch whose generated names collide: %v", err)
	}
	if got := names(batch...); got != "g-ccccc g-ddddd" {
		t.Fatalf("batch names %q, want g-ccccc g-ddddd", got)
	}
}

// Attempts are bounded: a generateName whose every try is taken fails,
// saying so; a fixed metadata.name that is taken stays AlreadyExists.
func TestNameCollisionsThatStayErrors(t *testing.T) {
	l := testkit.Open(t, testkit.Options{})
	defer func() {
		l.Engine.StopAll(true, "test over") // its workflows wait forever
		_ = l.Close()
	}()
	ctx := context.Background()
	wf := testkit.ParseWorkflow(t, generated)
	engine.SetNameSuffixes(l.Engine, "aaaaa")
	if _, err := l.Engine.Submit(ctx, wf); err != nil {
		t.Fatal(err)
	}
	_, err := l.Engine.Submit(ctx, wf)
	if !errors.Is(err, store.ErrExists) || !strings.Contains(err.Error(), "generateName") {
		t.Fatalf("every generated name taken: %v, want AlreadyExists naming the generateName", err)
	}
	fixed := testkit.ParseWorkflow(t, strings.Replace(generated, "generateName: g-", "name: fixed", 1))
	if _, err := l.Engine.Submit(ctx, fixed); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Engine.Submit(ctx, fixed); !errors.Is(err, store.ErrExists) {
		t.Fatalf("a fixed name submitted twice: %v, want AlreadyExists", err)
	}
}
