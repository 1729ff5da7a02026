package engine_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/store/postgres"
	"github.com/semaflow/semaflow/internal/testkit"
)

const retriedMutexWorkflow = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: m-}
spec:
  entrypoint: main
  templates:
  - name: main
    synchronization: {mutexes: [{name: m}]}
    retryStrategy: {limit: 2}
    container: {image: x, command: ["true"]}
`

// node is one engine of a shared store, with its steps held by the test.
type node struct {
	eng *engine.Engine
	he  *testkit.HeldExec
	db  *freezable
}

// freezable is a PostgreSQL store that can stop writing, as a frozen or
// cut-off node does: every write fails, lease renewals included.
type freezable struct {
	*postgres.Store
	frozen atomic.Bool
}

func (f *freezable) Update(ctx context.Context, fn func(store.Tx) error) error {
	if f.frozen.Load() {
		return fmt.Errorf("frozen by the test: %w", store.ErrUnavailable)
	}
	return f.Store.Update(ctx, fn)
}

func startNode(t *testing.T, dsn, name string) *node {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	n := &node{he: testkit.NewHeldExec(), db: &freezable{Store: s}}
	n.eng, err = engine.New(context.Background(), engine.Config{Store: n.db, DataDir: t.TempDir(), NewExecutor: n.he.Executor,
		Session: &engine.SessionConfig{Kind: "server", Node: name, Host: "h", PID: 1, TTL: time.Second, Margin: 300 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	// Before the data directory goes (cleanups run last first): a live
	// session still writes its lease file there.
	t.Cleanup(func() {
		n.eng.Detach()
		_ = n.eng.CloseSession(context.Background())
	})
	if _, err := n.eng.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	return n
}

// A node that stops renewing its lease (frozen, cut off) loses its
// workflows to another node a margin after the lease ended: the step it
// ran becomes a lost, Failed attempt, the retry runs on the adopting node,
// and the mutex, held throughout, comes with a higher token. A waiter of
// the adopting node's own never got the mutex meanwhile.
func TestAdoptionAfterLeaseEnds(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	ctx := context.Background()
	a := startNode(t, dsn, "a")
	b := startNode(t, dsn, "b")
	wf, err := a.eng.Submit(ctx, testkit.ParseWorkflow(t, retriedMutexWorkflow))
	if err != nil {
		t.Fatal(err)
	}
	a.he.WaitRunning(t, wf.Metadata.UID)
	if wf, err = a.eng.Get(ctx, "default", wf.Metadata.Name); err != nil || wf.Metadata.Labels[engine.LabelNode] != "a" {
		t.Fatalf("label %s of a's workflow: %v (%v), want a", engine.LabelNode, wf.Metadata.Labels, err)
	}
	other, err := b.eng.Submit(ctx, testkit.ParseWorkflow(t, retriedMutexWorkflow))
	if err != nil {
		t.Fatal(err)
	}
	firstToken := lockToken(t, a.eng, wf.Metadata.Name)
	// a goes silent: it renews nothing and writes nothing more.
	a.db.frozen.Store(true)
	key := b.he.WaitRunningWithin(t, wf.Metadata.UID, 10*time.Second)
	got, err := b.eng.Get(ctx, "default", wf.Metadata.Name)
	if err != nil {
		t.Fatal(err)
	}
	if got.Metadata.Labels[engine.LabelNode] != "b" {
		t.Errorf("label %s after the adoption: %q, want b", engine.LabelNode, got.Metadata.Labels[engine.LabelNode])
	}
	lost := 0
	for _, n := range got.Status.Nodes {
		if n.Type == "Pod" && n.Phase == wfv1.PhaseFailed && strings.Contains(n.Message, "lost with its node a") {
			lost++
		}
	}
	if lost != 1 {
		t.Errorf("%d attempts lost with node a, want 1: %+v", lost, got.Status.Nodes)
	}
	if tok := lockToken(t, b.eng, wf.Metadata.Name); tok <= firstToken {
		t.Errorf("token after the adoption %d, want more than %d", tok, firstToken)
	}
	if b.he.Running(otherKey(b.he, other.Metadata.UID)) {
		t.Fatal("b's own waiter runs while the adopted workflow holds the mutex")
	}
	b.he.Succeed(key)
	b.he.Succeed(b.he.WaitRunningWithin(t, other.Metadata.UID, 10*time.Second))
	for _, uid := range []string{wf.Metadata.UID, other.Metadata.UID} {
		done, err := b.eng.Wait(ctx, uid)
		if err != nil || done.Status.Phase != wfv1.PhaseSucceeded {
			t.Fatalf("workflow %s: %v %+v", uid, err, done)
		}
	}
}

func lockToken(t *testing.T, e *engine.Engine, name string) uint64 {
	t.Helper()
	wf, err := e.Get(context.Background(), "default", name)
	if err != nil {
		t.Fatal(err)
	}
	for _, byLock := range wf.Status.Synchronization.Tokens {
		if tok, ok := byLock["default/Mutex/m"]; ok {
			return tok
		}
	}
	t.Fatalf("%s holds no token for default/Mutex/m: %+v", name, wf.Status.Synchronization)
	return 0
}

func otherKey(he *testkit.HeldExec, uid string) string {
	for _, k := range he.Keys() {
		if strings.HasPrefix(k, uid) {
			return k
		}
	}
	return ""
}

// The node label is stored with the workflow, from its submission: a
// request through another node in between would otherwise find no owner
// (a stop that stops nothing, a delete under a running workflow). A
// submitted value never stands.
func TestSubmitStoresTheNodeLabel(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	a := startNode(t, dsn, "a")
	wf := testkit.ParseWorkflow(t, retriedMutexWorkflow)
	wf.Metadata.Labels = map[string]string{engine.LabelNode: "elsewhere"}
	got, err := a.eng.Submit(context.Background(), wf)
	if err != nil {
		t.Fatal(err)
	}
	if got.Metadata.Labels[engine.LabelNode] != "a" {
		t.Errorf("submitted workflow labelled %q, want a", got.Metadata.Labels[engine.LabelNode])
	}
}

// Lock numbers for metrics are the store's on a shared store: a node
// whose lock manager has not looked since another node's grant or
// release must not report stale holders (Argo dashboards would show
// phantom holders for ever).
func TestLockStatsFollowOtherNodes(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	ctx := context.Background()
	a := startNode(t, dsn, "a")
	b := startNode(t, dsn, "b")
	held := func(e *engine.Engine) int {
		for _, st := range e.LockStats() {
			if st.Key == "default/Mutex/m" {
				return st.Held
			}
		}
		return 0
	}
	wf, err := a.eng.Submit(ctx, testkit.ParseWorkflow(t, retriedMutexWorkflow))
	if err != nil {
		t.Fatal(err)
	}
	key := a.he.WaitRunning(t, wf.Metadata.UID)
	if n := held(b.eng); n != 1 {
		t.Errorf("node b reports %d holders of the mutex node a holds, want 1", n)
	}
	a.he.Succeed(key)
	if _, err := a.eng.Wait(ctx, wf.Metadata.UID); err != nil {
		t.Fatal(err)
	}
	if n := held(b.eng); n != 0 {
		t.Errorf("node b reports %d holders after node a released the mutex, want 0", n)
	}
}

// When the database is away longer than the lease (an outage, a
// failover), every node's lease ends: the first node back must not adopt
// the others, which come back a moment later. A node adopts only after
// holding its own lease for a whole TTL again.
func TestNoAdoptionAfterAnOutage(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	nodes := []*node{startNode(t, dsn, "a"), startNode(t, dsn, "b"), startNode(t, dsn, "c")}
	for _, n := range nodes {
		n.db.frozen.Store(true)
	}
	time.Sleep(2500 * time.Millisecond) // lease 1 s + margin 0.3 s, well past
	for i, n := range nodes {
		n.db.frozen.Store(false)
		if i == 0 {
			// The first back has the others to itself for a while: as
			// long as their next renewal may take (a third of the lease)
			// and then some.
			time.Sleep(600 * time.Millisecond)
		}
	}
	time.Sleep(2 * time.Second)
	for _, n := range nodes {
		if n.eng.Fenced() {
			t.Errorf("a node lost its session after an outage that every node went through: %v", n.eng.LostErr())
		}
	}
}
