package engine_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

// gateStore counts transactions and, once armed, holds the first one
// that begins until it is opened.
type gateStore struct {
	store.Store
	updates atomic.Int64
	armed   atomic.Bool
	entered chan struct{}
	open    chan struct{}
}

func (g *gateStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	g.updates.Add(1)
	if g.armed.CompareAndSwap(true, false) {
		g.entered <- struct{}{}
		<-g.open
	}
	return g.Store.Update(ctx, fn)
}

// heldExec runs no process: each step runs until the test ends it.
type heldExec struct {
	started func(string, time.Time)
	done    func(string, *executor.Result)
	mu      sync.Mutex
	keys    []string
}

func (x *heldExec) Start(j executor.Job) error {
	x.mu.Lock()
	x.keys = append(x.keys, j.Key)
	x.mu.Unlock()
	go x.started(j.Key, time.Now())
	return nil
}

func (x *heldExec) running() []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]string(nil), x.keys...)
}

func (x *heldExec) end(key string) {
	now := time.Now()
	x.done(key, &executor.Result{ExitCode: 0, Started: now, Finished: now})
}

func (x *heldExec) Kill(key, reason string) {
	go func() {
		now := time.Now()
		x.done(key, &executor.Result{ExitCode: 143, Killed: reason, Started: now, Finished: now})
	}()
}
func (x *heldExec) Close() error { return nil }
func (x *heldExec) Detach()      {}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Workflows whose changes come while another workflow's transaction runs
// are written together in the next one (group commit), not one
// transaction each: three workflows' step exits take two transactions.
func TestConcurrentWorkflowChangesShareATransaction(t *testing.T) {
	ctx := context.Background()
	gs := &gateStore{Store: testkit.OpenStore(t), entered: make(chan struct{}), open: make(chan struct{})}
	x := &heldExec{}
	eng := testkit.NewEngine(t, gs, func(started func(string, time.Time), done func(string, *executor.Result)) engine.Executor {
		x.started, x.done = started, done
		return x
	})
	defer eng.Drain()
	var uids []string
	for i := range 3 {
		wf := testkit.ParseWorkflow(t, fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: w%d}
spec:
  entrypoint: main
  templates:
  - {name: main, container: {image: x, command: ["true"]}}
`, i))
		sub, err := eng.Submit(ctx, wf)
		if err != nil {
			t.Fatal(err)
		}
		uids = append(uids, sub.Metadata.UID)
	}
	waitFor(t, "three steps running", func() bool { return len(x.running()) == 3 })
	// Let the steps' "started" rounds settle before counting.
	for i := range 3 {
		waitFor(t, "step recorded Running", func() bool {
			wf, err := eng.Get(ctx, "default", fmt.Sprintf("w%d", i))
			return err == nil && wf.Status.Nodes[wf.Metadata.Name].Phase == "Running"
		})
	}
	keys := x.running()
	gs.armed.Store(true)
	x.end(keys[0])
	<-gs.entered
	before := gs.updates.Load()
	x.end(keys[1])
	x.end(keys[2])
	// Old code: each exit is its own transaction, waiting at the store;
	// grouped: both wait in the group for the held one to end.
	waitFor(t, "the other two changes to wait", func() bool {
		return engine.GroupQueued(eng) == 2 || gs.updates.Load() == before+2
	})
	queued := engine.GroupQueued(eng)
	close(gs.open)
	for _, uid := range uids {
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		if _, err := eng.Wait(wctx, uid); err != nil {
			cancel()
			t.Fatal(err)
		}
		cancel()
	}
	if queued != 2 {
		t.Fatalf("while one workflow's transaction ran, %d other workflows' changes waited for the next group transaction, want 2 (they went to the store one transaction each)", queued)
	}
}

// A submission that comes while a workflow's transaction runs is written
// with the next group transaction, as a workflow's change is, not in a
// transaction of its own: a `run --count 1000` submits while the first
// workflows run, one transaction each.
func TestSubmitSharesTheGroupTransaction(t *testing.T) {
	ctx := context.Background()
	gs := &gateStore{Store: testkit.OpenStore(t), entered: make(chan struct{}), open: make(chan struct{})}
	x := &heldExec{}
	eng := testkit.NewEngine(t, gs, func(started func(string, time.Time), done func(string, *executor.Result)) engine.Executor {
		x.started, x.done = started, done
		return x
	})
	defer eng.Drain()
	manifest := `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: w%d}
spec:
  entrypoint: main
  templates:
  - {name: main, container: {image: x, command: ["true"]}}
`
	first, err := eng.Submit(ctx, testkit.ParseWorkflow(t, fmt.Sprintf(manifest, 0)))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the step running", func() bool { return len(x.running()) == 1 })
	waitFor(t, "step recorded Running", func() bool {
		wf, err := eng.Get(ctx, "default", "w0")
		return err == nil && wf.Status.Nodes[wf.Metadata.Name].Phase == "Running"
	})
	gs.armed.Store(true)
	x.end(x.running()[0])
	<-gs.entered
	var returned atomic.Int64
	subs := make(chan string, 2)
	for i := 1; i <= 2; i++ {
		go func() {
			sub, err := eng.Submit(ctx, testkit.ParseWorkflow(t, fmt.Sprintf(manifest, i)))
			returned.Add(1)
			if err != nil {
				t.Error(err)
				subs <- ""
				return
			}
			subs <- sub.Metadata.UID
		}()
	}
	// Old code: each submission commits at once, beside the held
	// transaction; grouped: both wait in the group for it to end.
	waitFor(t, "the submissions to wait or return", func() bool {
		return engine.GroupQueued(eng) == 2 || returned.Load() == 2
	})
	early := returned.Load()
	close(gs.open)
	uids := []string{first.Metadata.UID, <-subs, <-subs}
	if uids[1] == "" || uids[2] == "" {
		t.FailNow()
	}
	waitFor(t, "the new workflows' steps to start", func() bool { return len(x.running()) == 3 })
	for _, k := range x.running()[1:] {
		x.end(k)
	}
	for _, uid := range uids {
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		if _, err := eng.Wait(wctx, uid); err != nil {
			cancel()
			t.Fatal(err)
		}
		cancel()
	}
	if early != 0 {
		t.Fatalf("%d of 2 submissions committed while a group transaction ran, want both to wait for the next group transaction", early)
	}
}
