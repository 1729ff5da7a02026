package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

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

// waitEnd waits for the workflow with uid, called name in a failure, to
// end in phase.
func waitEnd(t *testing.T, eng *engine.Engine, name, uid, phase string) *wfv1.Workflow {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wf, err := eng.Wait(ctx, uid)
	if err != nil {
		t.Fatalf("waiting for %s: %v", uid, err)
	}
	if wf.Status.Phase != phase {
		t.Fatalf("%s ended %s (%q), want %s", name, wf.Status.Phase, wf.Status.Message, phase)
	}
	return wf
}

// waitRefused waits until the store has refused n more writes: the engine
// is retrying.
func waitRefused(t *testing.T, fs *testkit.FullStore, n int64) {
	t.Helper()
	want := fs.Refused.Load() + n
	deadline := time.Now().Add(5 * time.Second)
	for fs.Refused.Load() < want {
		if time.Now().After(deadline) {
			t.Fatalf("the store refused %d writes, want %d: the engine stopped trying", fs.Refused.Load(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func noLocksLeft(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	err := s.View(ctx, func(tx store.Tx) error {
		st, err := tx.LoadLocks(ctx)
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

// pair is two workflows queued on one mutex of an engine whose disk can
// fill: a holds the mutex, its step running under aKey, and b waits.
type pair struct {
	eng  *engine.Engine
	fs   *testkit.FullStore
	he   *testkit.HeldExec
	a, b *wfv1.Workflow
	aKey string
}

func startPair(t *testing.T) *pair {
	t.Helper()
	p := &pair{}
	p.eng, p.fs, p.he = testkit.StartFullEngine(t)
	ctx := context.Background()
	var err error
	if p.a, err = p.eng.Submit(ctx, testkit.ParseWorkflow(t, mutexWorkflow)); err != nil {
		t.Fatal(err)
	}
	// a must hold the mutex before b asks: both runs start at once, and
	// b's request could otherwise be decided first.
	p.aKey = p.he.WaitRunning(t, p.a.Metadata.UID)
	if p.b, err = p.eng.Submit(ctx, testkit.ParseWorkflow(t, mutexWorkflow)); err != nil {
		t.Fatal(err)
	}
	return p
}

// bRuns says that b got the permit a passed on and succeeded, and that
// no lock is left.
func (p *pair) bRuns(t *testing.T) {
	t.Helper()
	p.he.Succeed(p.he.WaitRunning(t, p.b.Metadata.UID))
	waitEnd(t, p.eng, "b", p.b.Metadata.UID, wfv1.PhaseSucceeded)
	noLocksLeft(t, p.fs)
}

// A step's result that arrives while the disk is full is kept and
// recorded once space returns; the permit it held passes on, and the next
// workflow runs, with no restart.
func TestFailedCommitIsRetriedUntilItSucceeds(t *testing.T) {
	p := startPair(t)
	p.fs.Full.Store(true)
	p.he.Succeed(p.aKey)
	waitRefused(t, p.fs, 3)
	p.fs.Full.Store(false)

	got := waitEnd(t, p.eng, "a", p.a.Metadata.UID, wfv1.PhaseSucceeded)
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
	p.bRuns(t)
}

// Terminating a workflow whose writes fail kills its step at once; the
// rest takes effect once space returns: it ends Failed, its permit passes
// on.
func TestTerminateWhileCommitsFail(t *testing.T) {
	p := startPair(t)
	p.fs.Full.Store(true)
	if !p.eng.Stop(p.a.Metadata.UID, true, "terminated on a full disk") {
		t.Fatal("a is not running")
	}
	waitRefused(t, p.fs, 3)
	// The step is killed at once, though the termination cannot be
	// recorded yet.
	if p.he.Running(p.aKey) {
		t.Fatal("a's step still runs while its termination waits for the disk")
	}
	p.fs.Full.Store(false)

	waitEnd(t, p.eng, "a", p.a.Metadata.UID, wfv1.PhaseFailed)
	p.bRuns(t)
}

// Detaching (SIGTERM) does not wait for a workflow stuck retrying.
func TestDetachDoesNotWaitForFailingCommits(t *testing.T) {
	p := startPair(t)
	p.fs.Full.Store(true)
	p.he.Succeed(p.aKey)
	waitRefused(t, p.fs, 4) // the backoff is past its first steps
	done := make(chan struct{})
	go func() {
		p.eng.Detach()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Detach waited for a workflow whose writes fail")
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
	eng, fs, he := testkit.StartFullEngine(t)
	wf, err := eng.Submit(context.Background(), testkit.ParseWorkflow(t, twoStepWorkflow))
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
		keys = he.Keys()
	}
	fs.Full.Store(true)
	he.Succeed(keys[0])
	waitRefused(t, fs, 2)
	eng.Stop(uid, true, "")
	deadline = time.Now().Add(time.Second)
	for he.Running(keys[1]) {
		if time.Now().After(deadline) {
			t.Fatal("the other step still runs 1 s after terminate, while the disk is full")
		}
		time.Sleep(5 * time.Millisecond)
	}
	fs.Full.Store(false)
	got := waitEnd(t, eng, "the workflow", uid, wfv1.PhaseFailed)
	for _, n := range got.Status.Nodes {
		if n.Type == "Pod" && n.Phase != wfv1.PhaseSucceeded && !strings.Contains(n.Message, "Terminate") {
			t.Errorf("step %s: %s %q, want it killed by the terminate", n.DisplayName, n.Phase, n.Message)
		}
	}
}

// A terminate that comes while a step's directory cannot be made (the
// disk is full) gives up the start: the step never runs, the workflow
// ends Failed and its permit passes on, without waiting for space.
func TestTerminateWhileAStepCannotStart(t *testing.T) {
	eng, fs, he := testkit.StartFullEngine(t)
	he.StartFull.Store(true)
	ctx := context.Background()
	a, err := eng.Submit(ctx, testkit.ParseWorkflow(t, mutexWorkflow))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for he.StartRefused.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the engine did not try to start a's step")
		}
		time.Sleep(5 * time.Millisecond)
	}
	b, err := eng.Submit(ctx, testkit.ParseWorkflow(t, mutexWorkflow))
	if err != nil {
		t.Fatal(err)
	}
	if !eng.Stop(a.Metadata.UID, true, "terminated on a full disk") {
		t.Fatal("a is not running")
	}
	waitEnd(t, eng, "a", a.Metadata.UID, wfv1.PhaseFailed)
	if keys := he.Keys(); len(keys) != 0 {
		t.Fatalf("steps run after a's terminate: %v", keys)
	}
	he.StartFull.Store(false)
	p := &pair{eng: eng, fs: fs, he: he, a: a, b: b}
	p.bRuns(t)
}
