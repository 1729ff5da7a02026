package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
)

// exerciseTx covers Store.Update and Store.View: atomicity, read-only
// views, concurrent writers and cancellation (the Store contract).
func exerciseTx(t *testing.T, open Factory) {
	each(t, open, map[string]check{
		"RollbackOnError":   rollbackOnError,
		"ViewWritesNothing": viewWritesNothing,
		"ConcurrentUpdates": concurrentUpdates,
		"Cancelled":         cancelled,
	})
}

func rollbackOnError(t *testing.T, s store.Store) {
	ctx := t.Context()
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateWorkflow(ctx, newWF("default", "r", time.Unix(1, 0))); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want the callback's error", err)
	}
	if _, err := get(t, s, "default", "r"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("half-written state survived a rollback: %v", err)
	}
}

func concurrentUpdates(t *testing.T, s store.Store) {
	ctx := t.Context()
	wf := newWF("default", "c", time.Unix(1, 0))
	update(t, s, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, wf) })
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Update(ctx, func(tx store.Tx) error {
				return tx.PutNodes(ctx, wf.Metadata.UID, []wfv1.NodeStatus{{ID: fmt.Sprint(i)}})
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	got, err := get(t, s, "default", "c")
	must(t, err)
	if len(got.Status.Nodes) != 20 {
		t.Fatalf("%d nodes after 20 concurrent writers", len(got.Status.Nodes))
	}
}

// viewWritesNothing: what a View's function writes is discarded (or
// refused: a driver may run View read-only), and View returns the
// function's error.
func viewWritesNothing(t *testing.T, s store.Store) {
	ctx := t.Context()
	_ = s.View(ctx, func(tx store.Tx) error {
		if err := tx.CreateWorkflow(ctx, newWF("default", "v", time.Unix(1, 0))); err != nil {
			return err
		}
		return tx.PutLockLimit(ctx, "default/Mutex/m", 1)
	})
	if _, err := get(t, s, "default", "v"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a workflow written in a View was kept: %v", err)
	}
	view(t, s, func(tx store.Tx) error {
		st, err := tx.LoadLocks(ctx)
		if err == nil && len(st.Locks) != 0 {
			err = fmt.Errorf("a lock written in a View was kept: %+v", st.Locks)
		}
		return err
	})
	boom := errors.New("boom")
	if err := s.View(ctx, func(store.Tx) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("View returned %v, want the callback's error", err)
	}
}

// cancelled: an Update whose context is cancelled, before it begins or
// while its function runs, fails and leaves the store as it was.
func cancelled(t *testing.T, s store.Store) {
	before, cancel := context.WithCancel(t.Context())
	cancel()
	err := s.Update(before, func(tx store.Tx) error {
		return tx.CreateWorkflow(before, newWF("default", "before", time.Unix(1, 0)))
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a cancelled context: got %v, want context.Canceled", err)
	}
	during, cancel := context.WithCancel(t.Context())
	defer cancel()
	err = s.Update(during, func(tx store.Tx) error {
		if err := tx.CreateWorkflow(during, newWF("default", "during", time.Unix(2, 0))); err != nil {
			return err
		}
		cancel()
		return nil
	})
	if err == nil {
		t.Error("Update whose context was cancelled before it committed: no error")
	}
	for _, name := range []string{"before", "during"} {
		if _, err := get(t, s, "default", name); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("workflow %s, written under a cancelled context, was kept: %v", name, err)
		}
	}
}
