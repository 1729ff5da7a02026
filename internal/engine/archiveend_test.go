package engine_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

// txRecorder notes, for each committed transaction, the phases of the
// workflow statuses it wrote and whether it archived a workflow.
type txRecorder struct {
	store.Store
	mu  sync.Mutex
	txs [][]string
}

func (s *txRecorder) Update(ctx context.Context, fn func(store.Tx) error) error {
	var calls []string
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		calls = calls[:0]
		return fn(&recordingTx{Tx: tx, calls: &calls})
	})
	if err == nil {
		s.mu.Lock()
		s.txs = append(s.txs, append([]string(nil), calls...))
		s.mu.Unlock()
	}
	return err
}

func (s *txRecorder) committed() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]string(nil), s.txs...)
}

type recordingTx struct {
	store.Tx
	calls *[]string
}

func (t *recordingTx) PutStatus(ctx context.Context, wf *wfv1.Workflow) error {
	*t.calls = append(*t.calls, "status "+wf.Status.Phase)
	return t.Tx.PutStatus(ctx, wf)
}

func (t *recordingTx) PutWorkflow(ctx context.Context, wf *wfv1.Workflow) error {
	*t.calls = append(*t.calls, "status "+wf.Status.Phase)
	return t.Tx.PutWorkflow(ctx, wf)
}

func (t *recordingTx) ArchiveWorkflow(ctx context.Context, wf *wfv1.Workflow) error {
	*t.calls = append(*t.calls, "archive "+wf.Status.Phase)
	return t.Tx.ArchiveWorkflow(ctx, wf)
}

// quickExec ends every step with success as soon as it starts.
type quickExec struct {
	started func(string, time.Time)
	done    func(string, *executor.Result)
}

func (x *quickExec) Start(j executor.Job) error {
	go func() {
		now := time.Now()
		x.started(j.Key, now)
		x.done(j.Key, &executor.Result{ExitCode: 0, Started: now, Finished: now})
	}()
	return nil
}
func (x *quickExec) Kill(string, string) {}
func (x *quickExec) Close() error        { return nil }
func (x *quickExec) Detach()             {}

// The archive copy of a workflow that ended is written by the
// transaction that records its end, not by one of its own after it: no
// crash between the two leaves an ended workflow unarchived, and an end
// costs one transaction less.
func TestEndArchivedWithItsEnd(t *testing.T) {
	ctx := context.Background()
	rec := &txRecorder{Store: testkit.OpenStore(t)}
	eng := testkit.NewEngine(t, rec, func(started func(string, time.Time), done func(string, *executor.Result)) engine.Executor {
		return &quickExec{started: started, done: done}
	})
	defer eng.Drain()
	f := spec.Parse("one.yaml", []byte(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: one}
spec:
  entrypoint: main
  templates:
  - {name: main, container: {image: x, command: ["true"]}}
`), spec.Options{})
	if d := f.AllDiags(); d.HasErrors() {
		t.Fatal(d)
	}
	sub, err := eng.Submit(ctx, f.Docs[0].Workflow)
	if err != nil {
		t.Fatal(err)
	}
	wf, err := eng.Wait(ctx, sub.Metadata.UID)
	if err != nil {
		t.Fatal(err)
	}
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s %s", wf.Status.Phase, wf.Status.Message)
	}
	ended, archived := -1, -1
	txs := rec.committed()
	for i, calls := range txs {
		for _, c := range calls {
			switch c {
			case "status " + wfv1.PhaseSucceeded:
				if ended < 0 {
					ended = i
				}
			case "archive " + wfv1.PhaseSucceeded:
				archived = i
			}
		}
	}
	if ended < 0 || archived != ended {
		t.Fatalf("the end was recorded by transaction %d, the archive copy by transaction %d; want one transaction for both (transactions: %q)", ended, archived, txs)
	}
}
