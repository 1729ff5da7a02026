package engine_test

import (
	"context"
	"strings"
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

// writeRecorder notes each committed write of a workflow: "whole" or
// "status", with the workflow's name and phase.
type writeRecorder struct {
	store.Store
	mu     sync.Mutex
	writes []string
}

func (s *writeRecorder) Update(ctx context.Context, fn func(store.Tx) error) error {
	var calls []string
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		calls = calls[:0]
		return fn(&writeRecordingTx{Tx: tx, calls: &calls})
	})
	if err == nil {
		s.mu.Lock()
		s.writes = append(s.writes, calls...)
		s.mu.Unlock()
	}
	return err
}

func (s *writeRecorder) of(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, w := range s.writes {
		if strings.Contains(w, " "+name+" ") {
			out = append(out, w)
		}
	}
	return out
}

type writeRecordingTx struct {
	store.Tx
	calls *[]string
}

func (t *writeRecordingTx) PutStatus(ctx context.Context, wf *wfv1.Workflow) error {
	*t.calls = append(*t.calls, "status "+wf.Metadata.Name+" "+wf.Status.Phase)
	return t.Tx.PutStatus(ctx, wf)
}

func (t *writeRecordingTx) PutWorkflow(ctx context.Context, wf *wfv1.Workflow) error {
	*t.calls = append(*t.calls, "whole "+wf.Metadata.Name+" "+wf.Status.Phase)
	return t.Tx.PutWorkflow(ctx, wf)
}

// gateExec holds every step until release is closed.
type gateExec struct {
	release chan struct{}
	began   chan string
	started func(string, time.Time)
	done    func(string, *executor.Result)
}

func (x *gateExec) Start(j executor.Job) error {
	go func() {
		now := time.Now()
		x.started(j.Key, now)
		x.began <- j.Key
		<-x.release
		x.done(j.Key, &executor.Result{ExitCode: 0, Started: now, Finished: time.Now()})
	}()
	return nil
}
func (x *gateExec) Kill(string, string) {}
func (x *gateExec) Close() error        { return nil }
func (x *gateExec) Detach()             {}

// A workflow this engine has just stored whole is not written whole again
// by its first round when that round changes only its status (here: it
// waits for a mutex): the document stored is the one it runs with.
func TestFirstRoundOfSubmittedWorkflowWritesStatusOnly(t *testing.T) {
	ctx := context.Background()
	rec := &writeRecorder{Store: testkit.OpenStore(t)}
	gate := &gateExec{release: make(chan struct{}), began: make(chan string, 4)}
	eng := testkit.NewEngine(t, rec, func(started func(string, time.Time), done func(string, *executor.Result)) engine.Executor {
		gate.started, gate.done = started, done
		return gate
	})
	defer eng.Drain()
	submit := func(name string) *wfv1.Workflow {
		t.Helper()
		f := spec.Parse(name+".yaml", []byte(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: `+name+`}
spec:
  entrypoint: main
  synchronization: {mutex: {name: m}}
  templates:
  - {name: main, container: {image: x, command: ["true"]}}
`), spec.Options{})
		if d := f.AllDiags(); d.HasErrors() {
			t.Fatal(d)
		}
		wf, err := eng.Submit(ctx, f.Docs[0].Workflow)
		if err != nil {
			t.Fatal(err)
		}
		return wf
	}
	a := submit("a")
	select {
	case <-gate.began:
	case <-time.After(10 * time.Second):
		t.Fatal("a's step never started")
	}
	b := submit("b")
	deadline := time.Now().Add(10 * time.Second)
	for len(rec.of("b")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("b's first round wrote nothing")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := rec.of("b"); got[0] != "status b "+wfv1.PhasePending {
		t.Errorf("b's first round, waiting for the mutex, wrote %q; want its status only", got[0])
	}
	close(gate.release)
	for _, wf := range []*wfv1.Workflow{a, b} {
		got, err := eng.Wait(ctx, wf.Metadata.UID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status.Phase != wfv1.PhaseSucceeded {
			t.Fatalf("%s: phase %s %s", got.Metadata.Name, got.Status.Phase, got.Status.Message)
		}
	}
	// b's later rounds relabel it (Running, Succeeded): those write it
	// whole, and what is stored is what ran.
	stored, err := eng.Get(ctx, "default", "b")
	if err != nil {
		t.Fatal(err)
	}
	if l := stored.Metadata.Labels[engine.LabelPhase]; l != wfv1.PhaseSucceeded {
		t.Errorf("stored phase label %q, want %s", l, wfv1.PhaseSucceeded)
	}
}
