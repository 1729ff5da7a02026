package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/store"
)

// exerciseLock covers PutLockLimit, PutFence, PutHold, MarkHold,
// DeleteHold, PutWaiter, DeleteWaiter, PutHoldStats, NextLockSeq and
// LoadLocks. ClaimLocks and the
// generation are exerciseGeneration's.
func exerciseLock(t *testing.T, open Factory) {
	each(t, open, map[string]check{
		"State":           lockState,
		"Empty":           lockEmpty,
		"LimitKeepsFence": lockLimitKeepsFence,
		"Replace":         lockReplace,
		"DeleteUnknown":   lockDeleteUnknown,
		"HoldStats":       lockHoldStats,
	})
}

// loadLocks reads the committed lock state.
func loadLocks(t *testing.T, s store.Store) *store.LockState {
	t.Helper()
	var st *store.LockState
	view(t, s, func(tx store.Tx) error {
		var err error
		st, err = tx.LoadLocks(t.Context())
		return err
	})
	return st
}

func lockState(t *testing.T, s store.Store) {
	ctx := t.Context()
	var seqs []uint64
	update(t, s, func(tx store.Tx) error {
		for _, k := range []string{"default/Mutex/m", "default/ConfigMap/c/k"} {
			if err := tx.PutLockLimit(ctx, k, 2); err != nil {
				return err
			}
		}
		for range 3 {
			n, err := tx.NextLockSeq(ctx)
			if err != nil {
				return err
			}
			seqs = append(seqs, n)
		}
		if err := tx.PutFence(ctx, "default/Mutex/m", 7); err != nil {
			return err
		}
		if err := tx.PutFence(ctx, "default/Mutex/m", 5); err != nil { // never goes back
			return err
		}
		if err := tx.PutHold(ctx, "default/a", []domain.Token{{Lock: "default/Mutex/m", Value: 7}}); err != nil {
			return err
		}
		now := time.Unix(50, 0)
		for _, w := range []domain.QueuedWaiter{
			{Waiter: domain.Waiter{Holder: "default/low", Locks: []string{"default/Mutex/m"}, Priority: 0, Created: time.Unix(1, 0), Seq: 1}, Enqueued: now},
			{Waiter: domain.Waiter{Holder: "default/high", Locks: []string{"default/Mutex/m", "default/ConfigMap/c/k"}, Priority: 5, Created: time.Unix(9, 0), Seq: 2}, Enqueued: now},
			{Waiter: domain.Waiter{Holder: "default/gone", Locks: []string{"default/Mutex/m"}, Priority: 9, Created: time.Unix(1, 0), Seq: 3}, Enqueued: now},
		} {
			if err := tx.PutWaiter(ctx, w); err != nil {
				return err
			}
		}
		return tx.DeleteWaiter(ctx, "default/gone")
	})
	if seqs[0] >= seqs[1] || seqs[1] >= seqs[2] {
		t.Fatalf("sequence not increasing: %v", seqs)
	}
	var st *store.LockState
	must(t, s.View(ctx, func(tx store.Tx) error {
		var err error
		st, err = tx.LoadLocks(ctx)
		return err
	}))
	if len(st.Locks) != 2 || st.NextSeq <= seqs[2] {
		t.Fatalf("locks %+v next seq %d", st.Locks, st.NextSeq)
	}
	for _, l := range st.Locks {
		if l.Key == "default/Mutex/m" && (l.Fence != 7 || l.Limit != 2) {
			t.Fatalf("mutex row %+v, want fence 7 limit 2", l)
		}
	}
	if len(st.Holds["default/a"]) != 1 || st.Holds["default/a"][0].Value != 7 {
		t.Fatalf("holds %+v", st.Holds)
	}
	if len(st.Waiters) != 2 || st.Waiters[0].Holder != "default/high" || len(st.Waiters[0].Locks) != 2 {
		t.Fatalf("waiters not in priority order: %+v", st.Waiters)
	}
	update(t, s, func(tx store.Tx) error { return tx.DeleteHold(ctx, "default/a") })
	must(t, s.View(ctx, func(tx store.Tx) error {
		st, err := tx.LoadLocks(ctx)
		if err == nil && len(st.Holds) != 0 {
			err = fmt.Errorf("hold survived delete: %+v", st.Holds)
		}
		return err
	}))
}

// lockEmpty: a new store has no lock state, and its first sequence
// number is the one LoadLocks announced, or later.
func lockEmpty(t *testing.T, s store.Store) {
	ctx := t.Context()
	st := loadLocks(t, s)
	if len(st.Locks) != 0 || len(st.Holds) != 0 || len(st.Waiters) != 0 {
		t.Fatalf("lock state of a new store: %+v", st)
	}
	var seq uint64
	update(t, s, func(tx store.Tx) error {
		var err error
		seq, err = tx.NextLockSeq(ctx)
		return err
	})
	if seq < st.NextSeq {
		t.Fatalf("first sequence number %d, below the %d LoadLocks announced", seq, st.NextSeq)
	}
	if after := loadLocks(t, s); after.NextSeq <= seq {
		t.Fatalf("after sequence number %d was handed out, LoadLocks announces %d", seq, after.NextSeq)
	}
}

// lockLimitKeepsFence: changing a lock's limit keeps its fencing
// counter, and a fence written for a lock is kept at the highest value.
func lockLimitKeepsFence(t *testing.T, s store.Store) {
	ctx := t.Context()
	const key = "default/Database/db"
	update(t, s, func(tx store.Tx) error {
		if err := tx.PutLockLimit(ctx, key, 3); err != nil {
			return err
		}
		return tx.PutFence(ctx, key, 4)
	})
	update(t, s, func(tx store.Tx) error { return tx.PutLockLimit(ctx, key, 1) })
	update(t, s, func(tx store.Tx) error { return tx.PutFence(ctx, key, 2) })
	st := loadLocks(t, s)
	if len(st.Locks) != 1 || st.Locks[0] != (store.LockInfo{Key: key, Limit: 1, Fence: 4}) {
		t.Fatalf("locks %+v, want %s with limit 1 and fence 4", st.Locks, key)
	}
}

// lockReplace: PutHold replaces a holder's token for a lock it holds and
// adds the others; PutWaiter replaces a holder's waiter.
func lockReplace(t *testing.T, s store.Store) {
	ctx := t.Context()
	m, c := "default/Mutex/m", "default/ConfigMap/c/k"
	enq := time.Unix(50, 0)
	update(t, s, func(tx store.Tx) error {
		for _, k := range []string{m, c} {
			if err := tx.PutLockLimit(ctx, k, 2); err != nil {
				return err
			}
		}
		if err := tx.PutHold(ctx, "default/a", []domain.Token{{Lock: m, Value: 1}}); err != nil {
			return err
		}
		if err := tx.PutHold(ctx, "default/a", []domain.Token{{Lock: m, Value: 3}, {Lock: c, Value: 2}}); err != nil {
			return err
		}
		if err := tx.PutWaiter(ctx, domain.QueuedWaiter{Waiter: domain.Waiter{Holder: "default/w", Locks: []string{m}, Priority: 1, Created: time.Unix(1, 0), Seq: 1}, Enqueued: enq}); err != nil {
			return err
		}
		return tx.PutWaiter(ctx, domain.QueuedWaiter{Waiter: domain.Waiter{Holder: "default/w", Locks: []string{m, c}, Priority: 2, Created: time.Unix(2, 0), Seq: 2}, Enqueued: enq})
	})
	st := loadLocks(t, s)
	held := map[string]uint64{}
	for _, tok := range st.Holds["default/a"] {
		held[tok.Lock] = tok.Value
	}
	if len(st.Holds) != 1 || fmt.Sprint(held) != fmt.Sprint(map[string]uint64{m: 3, c: 2}) {
		t.Fatalf("holds %+v, want default/a holding %s with 3 and %s with 2", st.Holds, m, c)
	}
	if len(st.Waiters) != 1 {
		t.Fatalf("waiters %+v, want default/w once", st.Waiters)
	}
	w := st.Waiters[0]
	if w.Holder != "default/w" || fmt.Sprint(w.Locks) != fmt.Sprint([]string{m, c}) || w.Priority != 2 ||
		!w.Created.Equal(time.Unix(2, 0)) || w.Seq != 2 || !w.Enqueued.Equal(enq) {
		t.Fatalf("waiter %+v, want the second one written", w)
	}
}

// lockDeleteUnknown: deleting the hold or the waiter of a holder that has
// none is not an error and changes no one else's.
func lockDeleteUnknown(t *testing.T, s store.Store) {
	ctx := t.Context()
	update(t, s, func(tx store.Tx) error {
		if err := tx.PutLockLimit(ctx, "default/Mutex/m", 1); err != nil {
			return err
		}
		if err := tx.PutHold(ctx, "default/a", []domain.Token{{Lock: "default/Mutex/m", Value: 1}}); err != nil {
			return err
		}
		return tx.PutWaiter(ctx, domain.QueuedWaiter{Waiter: domain.Waiter{Holder: "default/b", Locks: []string{"default/Mutex/m"}, Seq: 1}})
	})
	update(t, s, func(tx store.Tx) error {
		for _, h := range []string{"default/nobody", "default/b"} {
			if err := tx.DeleteHold(ctx, h); err != nil {
				return fmt.Errorf("DeleteHold(%s): %w", h, err)
			}
		}
		for _, h := range []string{"default/nobody", "default/a"} {
			if err := tx.DeleteWaiter(ctx, h); err != nil {
				return fmt.Errorf("DeleteWaiter(%s): %w", h, err)
			}
		}
		return nil
	})
	if st := loadLocks(t, s); len(st.Holds["default/a"]) != 1 || len(st.Waiters) != 1 || st.Waiters[0].Holder != "default/b" {
		t.Fatalf("deletes of unknown holders changed others: holds %+v, waiters %+v", st.Holds, st.Waiters)
	}
}
