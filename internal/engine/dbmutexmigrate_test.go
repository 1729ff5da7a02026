package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

func dbLockWorkflow(name string, sync *wfv1.Synchronization, status *wfv1.SynchronizationStatus) *wfv1.Workflow {
	at := time.Unix(1_000, 0)
	return &wfv1.Workflow{Metadata: wfv1.ObjectMeta{Namespace: "default", Name: name, UID: "uid-" + name, CreationTimestamp: &at},
		Spec: wfv1.WorkflowSpec{Entrypoint: "main", Synchronization: sync,
			Templates: []wfv1.Template{{Name: "main", Container: &wfv1.Container{Image: "x"}}}},
		Status: wfv1.WorkflowStatus{Phase: wfv1.PhaseRunning, Synchronization: status}}
}

// Holds and waits of database mutexes that an older version stored under
// the key it shared with the database semaphore of that name move to
// the mutex's own key when an engine opens the store; the semaphore's
// stay. One it cannot tell apart is refused, naming the workflow.
func TestDatabaseMutexHoldsMoveToTheirOwnKey(t *testing.T) {
	ctx := context.Background()
	const old, mutexKey = "default/Database/x", "default/DatabaseMutex/x"
	dbMutex := &wfv1.Synchronization{Mutexes: []*wfv1.Mutex{{Name: "x", Database: true}}}
	dbSem := &wfv1.Synchronization{Semaphores: []*wfv1.SemaphoreRef{{Database: &wfv1.SyncDatabaseRef{Key: "x"}}}}
	s := testkit.OpenStore(t)
	err := s.Update(ctx, func(tx store.Tx) error {
		for _, wf := range []*wfv1.Workflow{
			dbLockWorkflow("m-holds", dbMutex, nil),
			dbLockWorkflow("m-waits", dbMutex, &wfv1.SynchronizationStatus{Mutex: &wfv1.MutexStatus{
				Waiting: []wfv1.MutexHolding{{Mutex: old, Holder: "default/m-waits"}}}}),
			dbLockWorkflow("s-holds", dbSem, nil),
		} {
			if err := tx.CreateWorkflow(ctx, wf); err != nil {
				return err
			}
		}
		if err := tx.PutLockLimit(ctx, old, 3); err != nil {
			return err
		}
		if err := tx.PutFence(ctx, old, 7); err != nil {
			return err
		}
		for h, tok := range map[string]uint64{"default/m-holds": 6, "default/s-holds": 7} {
			if err := tx.PutHold(ctx, h, []domain.Token{{Lock: old, Value: tok}}, store.HoldInfo{Since: time.Unix(1_001, 0)}); err != nil {
				return err
			}
		}
		return tx.PutWaiter(ctx, domain.QueuedWaiter{Waiter: domain.Waiter{Holder: "default/m-waits", Locks: []string{old},
			Created: time.Unix(1_000, 0), Seq: 1}, Enqueued: time.Unix(1_002, 0)})
	})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(ctx, engine.Config{Store: s, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	eng.Drain()
	var st *store.LockState
	if err := s.View(ctx, func(tx store.Tx) error { st, err = tx.LoadLocks(ctx); return err }); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(st.Holds["default/m-holds"]); got != fmt.Sprint([]domain.Token{{Lock: mutexKey, Value: 6}}) {
		t.Errorf("the mutex's hold: %s", got)
	}
	if got := fmt.Sprint(st.Holds["default/s-holds"]); got != fmt.Sprint([]domain.Token{{Lock: old, Value: 7}}) {
		t.Errorf("the semaphore's hold: %s", got)
	}
	if len(st.Waiters) != 1 || fmt.Sprint(st.Waiters[0].Locks) != "["+mutexKey+"]" || st.Waiters[0].Seq != 1 {
		t.Errorf("the mutex's waiter: %+v", st.Waiters)
	}
	for _, l := range st.Locks {
		if l.Key == mutexKey && (l.Limit != 1 || l.Fence < 7) {
			t.Errorf("the mutex's lock: %+v; want limit 1 and fence 7 or more (tokens never go back)", l)
		}
	}

	// A workflow asking for x as both cannot be told apart: refused.
	s2 := testkit.OpenStore(t)
	both := &wfv1.Synchronization{Mutexes: dbMutex.Mutexes}
	wf := dbLockWorkflow("both", both, nil)
	wf.Spec.Templates[0].Synchronization = dbSem
	err = s2.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateWorkflow(ctx, wf); err != nil {
			return err
		}
		return tx.PutHold(ctx, "default/both/both-1", []domain.Token{{Lock: old, Value: 1}}, store.HoldInfo{})
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = engine.New(ctx, engine.Config{Store: s2, DataDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "default/both") || !strings.Contains(err.Error(), old) {
		t.Fatalf("an ambiguous hold: %v; want a refusal naming the workflow and the lock", err)
	}
}
