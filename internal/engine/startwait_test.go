package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/testkit"
)

// gapExec reports each step started at once and ended gap later.
type gapExec struct {
	gap     time.Duration
	started func(string, time.Time)
	done    func(string, *executor.Result)
}

func (x *gapExec) Start(j executor.Job) error {
	go func() {
		at := time.Now()
		x.started(j.Key, at)
		time.Sleep(x.gap)
		x.done(j.Key, &executor.Result{ExitCode: 0, Started: at, Finished: time.Now()})
	}()
	return nil
}
func (x *gapExec) Kill(string, string) {}
func (x *gapExec) Close() error        { return nil }
func (x *gapExec) Detach()             {}

// commitsFor runs oneStep with steps that end gap after they start and
// returns the transactions committed, and the step's start as recorded.
func commitsFor(t *testing.T, gap time.Duration) (int, *wfv1.Workflow) {
	t.Helper()
	ctx := context.Background()
	rec := &txRecorder{Store: testkit.OpenStore(t)}
	eng := testkit.NewEngine(t, rec, func(started func(string, time.Time), done func(string, *executor.Result)) engine.Executor {
		return &gapExec{gap: gap, started: started, done: done}
	})
	defer eng.Drain()
	f := spec.Parse("one.yaml", []byte(oneStep), spec.Options{})
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
	return len(rec.committed()), wf
}

// A step that ends soon after it starts has its start and its end
// written by one commit, as a step whose start and end come together
// does: a start alone waits a little for more news.
func TestAShortStepsStartIsWrittenWithItsEnd(t *testing.T) {
	together, _ := commitsFor(t, 0)
	apart, wf := commitsFor(t, 3*time.Millisecond)
	if apart != together {
		t.Fatalf("a step ending 3 ms after its start took %d commits, one whose start and end came together %d", apart, together)
	}
	for _, n := range wf.Status.Nodes {
		if n.Type == "Pod" && (n.StartedAt == nil || n.FinishedAt == nil || !n.FinishedAt.After(*n.StartedAt)) {
			t.Fatalf("step times %v .. %v: want the reported start, before the end", n.StartedAt, n.FinishedAt)
		}
	}
}

// A step that runs on shows Running soon, with the start its executor
// reported, not the time the round was written.
func TestALongStepShowsRunningWithItsReportedStart(t *testing.T) {
	ctx := context.Background()
	reported := make(chan time.Time, 1)
	eng := testkit.NewEngine(t, testkit.OpenStore(t), func(started func(string, time.Time), done func(string, *executor.Result)) engine.Executor {
		return &reportingExec{started: started, done: done, at: reported}
	})
	defer eng.Drain()
	f := spec.Parse("one.yaml", []byte(oneStep), spec.Options{})
	sub, err := eng.Submit(ctx, f.Docs[0].Workflow)
	if err != nil {
		t.Fatal(err)
	}
	at := <-reported
	deadline := time.Now().Add(500 * time.Millisecond)
	for {
		wf, err := eng.Get(ctx, sub.Metadata.Namespace, sub.Metadata.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range wf.Status.Nodes {
			if n.Type == "Pod" && n.Phase == wfv1.PhaseRunning {
				if n.StartedAt == nil || n.StartedAt.Sub(at).Abs() > time.Millisecond {
					t.Fatalf("started at %v, reported %v", n.StartedAt, at)
				}
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("a running step never showed Running")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// reportingExec reports each step started, says when, and ends it a
// second later.
type reportingExec struct {
	started func(string, time.Time)
	done    func(string, *executor.Result)
	at      chan time.Time
}

func (x *reportingExec) Start(j executor.Job) error {
	go func() {
		now := time.Now()
		x.started(j.Key, now)
		x.at <- now
		time.Sleep(time.Second)
		x.done(j.Key, &executor.Result{ExitCode: 0, Started: now, Finished: time.Now()})
	}()
	return nil
}
func (x *reportingExec) Kill(string, string) {}
func (x *reportingExec) Close() error        { return nil }
func (x *reportingExec) Detach()             {}

// waitingExec says each step waits to start, and starts none.
type waitingExec struct {
	waiting func(key, why string)
	keys    chan string
}

func (x *waitingExec) SetWaiting(fn func(key, why string)) { x.waiting = fn }
func (x *waitingExec) Start(j executor.Job) error {
	go func() {
		x.waiting(j.Key, "its disk is full")
		x.keys <- j.Key
	}()
	return nil
}
func (x *waitingExec) Kill(string, string) {}
func (x *waitingExec) Close() error        { return nil }
func (x *waitingExec) Detach()             {}

// A step its executor cannot start yet shows why on its node, Pending.
func TestAStepWaitingToStartSaysWhy(t *testing.T) {
	ctx := context.Background()
	x := &waitingExec{keys: make(chan string, 1)}
	eng, err := engine.New(ctx, engine.Config{Store: testkit.OpenStore(t), DataDir: t.TempDir(),
		NewExecutor: func(func(string, time.Time), func(string, *executor.Result)) engine.Executor { return x }})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Detach()
	f := spec.Parse("one.yaml", []byte(oneStep), spec.Options{})
	sub, err := eng.Submit(ctx, f.Docs[0].Workflow)
	if err != nil {
		t.Fatal(err)
	}
	<-x.keys
	deadline := time.Now().Add(5 * time.Second)
	for {
		wf, err := eng.Get(ctx, sub.Metadata.Namespace, sub.Metadata.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range wf.Status.Nodes {
			if n.Type == "Pod" && n.Phase == wfv1.PhasePending && n.Message == "waiting to start: its disk is full" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the waiting step's node never said why: %+v", wf.Status.Nodes)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const runningHook = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: hooked}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: a
        template: a
        hooks:
          running: {expression: "steps.a.status == \"Running\"", template: h}
  - {name: a, container: {image: x, command: [sh, -c, "true"]}}
  - {name: h, container: {image: x, command: [sh, -c, "echo hook"]}}
`

// A step's `running` hook fires even when the step ends a few ms after
// it starts: in a workflow with such hooks, a start is reconciled at once
// (a review found the hook never fired for a step ending within the
// start's wait).
func TestARunningHookFiresForAShortStep(t *testing.T) {
	ctx := context.Background()
	for i := range 3 {
		eng := testkit.NewEngine(t, testkit.OpenStore(t), func(started func(string, time.Time), done func(string, *executor.Result)) engine.Executor {
			return &gapExec{gap: 5 * time.Millisecond, started: started, done: done}
		})
		f := spec.Parse("h.yaml", []byte(runningHook), spec.Options{})
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
		eng.Drain()
		fired := false
		for _, n := range wf.Status.Nodes {
			fired = fired || n.Name == "hooked[0].a.hooks.running"
		}
		if wf.Status.Phase != wfv1.PhaseSucceeded || !fired {
			t.Fatalf("run %d: phase %s, running hook fired %v; want Succeeded with the hook run", i, wf.Status.Phase, fired)
		}
	}
}
