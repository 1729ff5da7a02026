package engine_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

// heldMutexWorkflow is one step that holds the mutex m while it runs.
func heldMutexWorkflow(t *testing.T, name string) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: %s}
spec:
  entrypoint: main
  templates:
  - name: main
    synchronization: {mutex: {name: m}}
    container: {image: x, command: ["true"]}
`, name)
}

// failStore counts the transactions that write workflows' rounds (their
// nodes), not others such as an ended workflow's archiving; armed, it
// rolls back the next transaction after its writes ran, as a disk that
// refuses the commit.
type failStore struct {
	store.Store
	updates atomic.Int64
	armed   atomic.Bool
}

var errInjected = errors.New("injected commit failure")

// roundTx notes whether a transaction wrote nodes.
type roundTx struct {
	store.Tx
	round bool
}

func (t *roundTx) PutNodes(ctx context.Context, uid string, nodes []wfv1.NodeStatus) error {
	t.round = true
	return t.Tx.PutNodes(ctx, uid, nodes)
}

func (s *failStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error {
		rt := &roundTx{Tx: tx}
		if err := fn(rt); err != nil {
			return err
		}
		if rt.round {
			s.updates.Add(1)
		}
		if s.armed.CompareAndSwap(true, false) {
			return errInjected
		}
		return nil
	})
}

// startLog is heldExec that also notes the transactions begun by the
// time each step was started.
type startLog struct {
	heldExec
	s    *failStore
	mu   sync.Mutex
	txAt map[string]int64
	runs map[string]int
}

func (x *startLog) Start(j executor.Job) error {
	x.mu.Lock()
	x.txAt[j.Key] = x.s.updates.Load()
	x.runs[j.Key]++
	x.mu.Unlock()
	return x.heldExec.Start(j)
}

func handoffEngine(t *testing.T) (*engine.Engine, *startLog) {
	t.Helper()
	fs := &failStore{Store: testkit.OpenStore(t)}
	x := &startLog{s: fs, txAt: map[string]int64{}, runs: map[string]int{}}
	eng := testkit.NewEngine(t, fs, func(started func(string, time.Time), done func(string, *executor.Result)) engine.Executor {
		x.started, x.done = started, done
		return x
	})
	return eng, x
}

// holdAndWait submits two workflows on the mutex and returns once the
// first one's step runs, recorded Running, and the second waits for the
// mutex with no round of its own under way (so a grant may be folded).
func holdAndWait(t *testing.T, eng *engine.Engine, x *startLog) (holder string) {
	t.Helper()
	ctx := context.Background()
	phase := func(name string) (string, string) {
		wf, err := eng.Get(ctx, "default", name)
		if err != nil {
			return "", ""
		}
		n := wf.Status.Nodes[wf.Metadata.Name]
		return n.Phase, n.Message
	}
	if _, err := eng.Submit(ctx, testkit.ParseWorkflow(t, heldMutexWorkflow(t, "w1"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "w1's step running", func() bool {
		p, _ := phase("w1")
		return p == "Running" && len(x.running()) == 1
	})
	if _, err := eng.Submit(ctx, testkit.ParseWorkflow(t, heldMutexWorkflow(t, "w2"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "w2 waiting for the mutex, idle", func() bool {
		p, msg := phase("w2")
		return p == "Pending" && msg != "" && engine.RunIdle(eng, "default", "w2")
	})
	if got := x.running(); len(got) != 1 {
		t.Fatalf("%d steps started, want 1 (the mutex's holder)", len(got))
	}
	return x.running()[0]
}

func awaitEnd(t *testing.T, eng *engine.Engine, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	wf, err := eng.Get(ctx, "default", name)
	if err != nil {
		t.Fatal(err)
	}
	end, err := eng.Wait(ctx, wf.Metadata.UID)
	if err != nil {
		t.Fatal(err)
	}
	return end.Status.Phase
}

// A handoff is one workflow round's transaction: the holder's exit, its
// release, the grant and the next holder's step recorded Pending commit
// together, and that step starts after it.
func TestHandoffGrantAndLaunchShareATransaction(t *testing.T) {
	eng, x := handoffEngine(t)
	defer eng.Drain()
	first := holdAndWait(t, eng, x)
	before := x.s.updates.Load()
	x.end(first)
	waitFor(t, "the next holder's step to start", func() bool { return len(x.running()) == 2 })
	next := x.running()[1]
	x.mu.Lock()
	took := x.txAt[next] - before
	x.mu.Unlock()
	x.end(next)
	for _, name := range []string{"w1", "w2"} {
		if p := awaitEnd(t, eng, name); p != "Succeeded" {
			t.Fatalf("%s ended %s", name, p)
		}
	}
	if took != 1 {
		t.Fatalf("from the holder's exit to the next holder's start: %d transactions, want 1", took)
	}
}

// When the handoff's transaction rolls back, nothing it decided stands:
// the next holder's step is not started, and once the commit goes
// through it starts exactly once.
func TestHandoffRolledBackStartsNothingTwice(t *testing.T) {
	eng, x := handoffEngine(t)
	defer eng.Drain()
	first := holdAndWait(t, eng, x)
	x.s.armed.Store(true)
	x.end(first)
	waitFor(t, "the next holder's step to start", func() bool { return len(x.running()) == 2 })
	next := x.running()[1]
	x.end(next)
	for _, name := range []string{"w1", "w2"} {
		if p := awaitEnd(t, eng, name); p != "Succeeded" {
			t.Fatalf("%s ended %s", name, p)
		}
	}
	if x.s.armed.Load() {
		t.Fatal("no transaction was rolled back")
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for k, n := range x.runs {
		if n != 1 {
			t.Fatalf("step %s started %d times", k, n)
		}
	}
}
