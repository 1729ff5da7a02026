package app

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/server"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/store/sqlite"
)

// errFull stands for a commit the disk had no room for, as the SQLite
// driver reports it.
var errFull = fmt.Errorf("database /data/sf.db: %w", store.ErrNoSpace)

// fullStore refuses every write while full is set, as a full disk does:
// the transaction's work runs (the lock manager changes its queues) and
// is then rolled back, as when the commit itself fails.
type fullStore struct {
	store.Store
	full    atomic.Bool
	refused atomic.Int64
}

func (s *fullStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	if !s.full.Load() {
		return s.Store.Update(ctx, fn)
	}
	s.refused.Add(1)
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errFull
	})
	return err
}

// heldExec runs no process: a step runs until the test finishes it (or
// the engine kills it), and its result reaches the engine only through
// done, as when the supervisor could not write result.json.
type heldExec struct {
	started func(string, time.Time)
	done    func(string, *executor.Result)
	mu      sync.Mutex
	running map[string]bool
}

func (h *heldExec) Start(j executor.Job) error {
	h.mu.Lock()
	h.running[j.Key] = true
	h.mu.Unlock()
	go h.started(j.Key, time.Now())
	return nil
}

func (h *heldExec) end(key string, r *executor.Result) {
	h.mu.Lock()
	was := h.running[key]
	delete(h.running, key)
	h.mu.Unlock()
	if was {
		h.done(key, r)
	}
}

func (h *heldExec) Kill(key, reason string) {
	now := time.Now()
	go h.end(key, &executor.Result{ExitCode: -1, Killed: reason, Started: now, Finished: now})
}
func (h *heldExec) Close() error { return nil }
func (h *heldExec) Detach()      {}

// waitRunning waits until the step of the workflow with uid runs and
// returns its key.
func (h *heldExec) waitRunning(t *testing.T, uid string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		h.mu.Lock()
		for k := range h.running {
			if len(k) > len(uid) && k[:len(uid)] == uid {
				h.mu.Unlock()
				return k
			}
		}
		h.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("the step of %s never started", uid)
	return ""
}

func (h *heldExec) succeed(key string) {
	now := time.Now()
	h.end(key, &executor.Result{Stdout: "done\n", Outputs: map[string]string{"out": "42"}, Started: now, Finished: now})
}

const mutexWorkflow = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: full-}
spec:
  entrypoint: main
  synchronization: {mutex: {name: m}}
  templates:
  - name: main
    container: {image: x, command: [work]}
    outputs:
      parameters:
      - {name: out, valueFrom: {path: /tmp/out}}
`

func startFullEngine(t *testing.T) (*engine.Engine, *fullStore, *heldExec) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	fs := &fullStore{Store: db}
	he := &heldExec{running: map[string]bool{}}
	eng, err := engine.New(ctx, engine.Config{Store: fs, DataDir: t.TempDir(),
		NewExecutor: func(started func(string, time.Time), done func(string, *executor.Result)) engine.Executor {
			he.started, he.done = started, done
			return he
		}})
	if err != nil {
		t.Fatal(err)
	}
	return eng, fs, he
}

func waitEnd(t *testing.T, eng *engine.Engine, uid string) *wfv1.Workflow {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wf, err := eng.Wait(ctx, uid)
	if err != nil {
		t.Fatalf("waiting for %s: %v", uid, err)
	}
	return wf
}

// waitRefused waits until the store has refused n more writes: the engine
// is retrying.
func waitRefused(t *testing.T, fs *fullStore, n int64) {
	t.Helper()
	want := fs.refused.Load() + n
	deadline := time.Now().Add(5 * time.Second)
	for fs.refused.Load() < want {
		if time.Now().After(deadline) {
			t.Fatalf("the store refused %d writes, want %d: the engine stopped trying", fs.refused.Load(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func noLocksLeft(t *testing.T, s store.Store) {
	t.Helper()
	err := s.View(context.Background(), func(tx store.Tx) error {
		st, err := tx.LoadLocks()
		if err != nil {
			return err
		}
		if len(st.Holds) != 0 || len(st.Waiters) != 0 {
			t.Errorf("locks left: holders %v, waiters %v", st.Holds, st.Waiters)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func submitTwo(t *testing.T, eng *engine.Engine) (a, b *wfv1.Workflow) {
	t.Helper()
	ctx := context.Background()
	a, err := eng.Submit(ctx, parseWorkflow(t, mutexWorkflow))
	if err != nil {
		t.Fatal(err)
	}
	b, err = eng.Submit(ctx, parseWorkflow(t, mutexWorkflow))
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

// A step's result that arrives while the disk is full is kept and
// recorded once space returns; the permit it held passes on, and the next
// workflow runs, with no restart.
func TestFailedCommitIsRetriedUntilItSucceeds(t *testing.T) {
	eng, fs, he := startFullEngine(t)
	a, b := submitTwo(t, eng)
	aKey := he.waitRunning(t, a.Metadata.UID)

	fs.full.Store(true)
	he.succeed(aKey)
	waitRefused(t, fs, 3)
	fs.full.Store(false)

	got := waitEnd(t, eng, a.Metadata.UID)
	if got.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("a ended %s (%q), want Succeeded", got.Status.Phase, got.Status.Message)
	}
	var step *wfv1.NodeStatus
	for id := range got.Status.Nodes {
		if n := got.Status.Nodes[id]; n.Type == "Pod" {
			step = &n
		}
	}
	if step == nil || step.Phase != wfv1.PhaseSucceeded || step.Outputs == nil || len(step.Outputs.Parameters) != 1 ||
		step.Outputs.Parameters[0].Value == nil || string(*step.Outputs.Parameters[0].Value) != "42" {
		t.Fatalf("a's step is not recorded with its true result: %+v", step)
	}
	he.succeed(he.waitRunning(t, b.Metadata.UID))
	if got := waitEnd(t, eng, b.Metadata.UID); got.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("b ended %s (%q), want Succeeded", got.Status.Phase, got.Status.Message)
	}
	noLocksLeft(t, fs)
}

// Terminating a workflow whose writes fail kills its step at once; the
// rest takes effect once space returns: it ends Failed, its permit passes
// on.
func TestTerminateWhileCommitsFail(t *testing.T) {
	eng, fs, he := startFullEngine(t)
	a, b := submitTwo(t, eng)
	aKey := he.waitRunning(t, a.Metadata.UID)

	fs.full.Store(true)
	if !eng.Stop(a.Metadata.UID, true, "terminated on a full disk") {
		t.Fatal("a is not running")
	}
	waitRefused(t, fs, 3)
	// The step is killed at once, though the termination cannot be
	// recorded yet.
	he.mu.Lock()
	running := he.running[aKey]
	he.mu.Unlock()
	if running {
		t.Fatal("a's step still runs while its termination waits for the disk")
	}
	fs.full.Store(false)

	if got := waitEnd(t, eng, a.Metadata.UID); got.Status.Phase != wfv1.PhaseFailed {
		t.Fatalf("a ended %s (%q), want Failed", got.Status.Phase, got.Status.Message)
	}
	he.succeed(he.waitRunning(t, b.Metadata.UID))
	if got := waitEnd(t, eng, b.Metadata.UID); got.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("b ended %s (%q), want Succeeded", got.Status.Phase, got.Status.Message)
	}
	noLocksLeft(t, fs)
}

// Detaching (SIGTERM) does not wait for a workflow stuck retrying.
func TestDetachDoesNotWaitForFailingCommits(t *testing.T) {
	eng, fs, he := startFullEngine(t)
	a, _ := submitTwo(t, eng)
	aKey := he.waitRunning(t, a.Metadata.UID)
	fs.full.Store(true)
	he.succeed(aKey)
	waitRefused(t, fs, 4) // the backoff is past its first steps
	done := make(chan struct{})
	go func() {
		eng.Detach()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Detach waited for a workflow whose writes fail")
	}
}

// A write refused for lack of space answers 507 with Argo's error body
// saying so and naming the database, not 500.
func TestAPIAnswers507OnAFullDisk(t *testing.T) {
	eng, fs, _ := startFullEngine(t)
	ts := httptest.NewServer(server.New(eng).Handler())
	defer ts.Close()
	c := &apiClient{t: t, base: ts.URL}
	fs.full.Store(true)
	body := `{"workflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "late"},
	  "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "x", "command": ["true"]}}]}}}`
	code, out := c.do("POST", "/api/v1/workflows/default", body)
	msg := fmt.Sprint(out["message"])
	if code != 507 || out["code"] != float64(8) || !strings.Contains(msg, "the disk is full") || !strings.Contains(msg, "/data/sf.db") {
		t.Fatalf("submit on a full disk: %d %v; want 507, code 8, a message saying the disk is full and naming /data/sf.db", code, out)
	}
	fs.full.Store(false)
	if code, out := c.do("POST", "/api/v1/workflows/default", body); code != 200 {
		t.Fatalf("submit once space returned: %d %v", code, out)
	}
}

const twoStepWorkflow = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: two-}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: one, template: work}
      - {name: two, template: work}
  - name: work
    container: {image: x, command: [work]}
`

// A terminate that comes while an earlier change waits for the disk kills
// the workflow's steps at once too.
func TestTerminateQueuedBehindAFailingCommitKillsAtOnce(t *testing.T) {
	eng, fs, he := startFullEngine(t)
	wf, err := eng.Submit(context.Background(), parseWorkflow(t, twoStepWorkflow))
	if err != nil {
		t.Fatal(err)
	}
	uid := wf.Metadata.UID
	deadline := time.Now().Add(5 * time.Second)
	var keys []string
	for len(keys) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("steps running: %v, want 2", keys)
		}
		time.Sleep(5 * time.Millisecond)
		he.mu.Lock()
		keys = keys[:0]
		for k := range he.running {
			keys = append(keys, k)
		}
		he.mu.Unlock()
	}
	fs.full.Store(true)
	he.succeed(keys[0])
	waitRefused(t, fs, 2)
	eng.Stop(uid, true, "")
	deadline = time.Now().Add(time.Second)
	for {
		he.mu.Lock()
		running := he.running[keys[1]]
		he.mu.Unlock()
		if !running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other step still runs 1 s after terminate, while the disk is full")
		}
		time.Sleep(5 * time.Millisecond)
	}
	fs.full.Store(false)
	got := waitEnd(t, eng, uid)
	if got.Status.Phase != wfv1.PhaseFailed {
		t.Fatalf("ended %s (%q), want Failed", got.Status.Phase, got.Status.Message)
	}
	for _, n := range got.Status.Nodes {
		if n.Type == "Pod" && n.Phase != wfv1.PhaseSucceeded && !strings.Contains(n.Message, "Terminate") {
			t.Errorf("step %s: %s %q, want it killed by the terminate", n.DisplayName, n.Phase, n.Message)
		}
	}
}
