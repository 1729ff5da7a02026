package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/store"
)

// exerciseGeneration covers ClaimLocks and the lock generation that every
// change of lock state raises (store.LockTx), on one handle and across
// two.
func exerciseGeneration(t *testing.T, open Factory) {
	each(t, open, map[string]check{"Counter": lockGeneration})
	eachShared(t, open, map[string]sharedCheck{"ClaimWaits": claimWaits})
}

// claim runs ClaimLocks in its own transaction, committed unless fail.
func claim(t *testing.T, s store.Store, writer string, fail error) store.LockGeneration {
	ctx := t.Context()
	t.Helper()
	var g store.LockGeneration
	err := s.Update(ctx, func(tx store.Tx) error {
		var err error
		if g, err = tx.ClaimLocks(ctx, writer); err != nil {
			return err
		}
		return fail
	})
	if !errors.Is(err, fail) {
		t.Fatalf("claim by %s: %v", writer, err)
	}
	return g
}

// lockGeneration checks the generation LockTx documents: a claim returns
// the stored generation and stores the next under its writer; a rollback
// restores it; a change of lock state without a claim raises it with no
// writer; an empty writer is refused.
func lockGeneration(t *testing.T, s store.Store) {
	ctx := t.Context()
	g0 := claim(t, s, "a", nil)
	if g := claim(t, s, "b", nil); g != (store.LockGeneration{Counter: g0.Counter + 1, Writer: "a"}) {
		t.Fatalf("second claim saw %+v, want {%d a}", g, g0.Counter+1)
	}
	boom := errors.New("boom")
	claim(t, s, "c", boom)
	if g := claim(t, s, "d", nil); g != (store.LockGeneration{Counter: g0.Counter + 2, Writer: "b"}) {
		t.Fatalf("after a rolled-back claim saw %+v, want {%d b}", g, g0.Counter+2)
	}
	update(t, s, func(tx store.Tx) error {
		if err := tx.PutLockLimit(ctx, "default/Mutex/m", 1); err != nil {
			return err
		}
		return tx.PutWaiter(ctx, domain.QueuedWaiter{Waiter: domain.Waiter{Holder: "default/w", Locks: []string{"default/Mutex/m"}, Seq: 1}})
	})
	if g := claim(t, s, "e", nil); g != (store.LockGeneration{Counter: g0.Counter + 4, Writer: ""}) {
		t.Fatalf("after a change without a claim saw %+v, want {%d \"\"} (raised once, by no writer)", g, g0.Counter+4)
	}
	update(t, s, func(tx store.Tx) error {
		_, err := tx.NextLockSeq(ctx)
		return err
	})
	if g := claim(t, s, "f", nil); g.Counter != g0.Counter+5 || g.Writer != "e" {
		t.Fatalf("NextLockSeq changed the generation: %+v, want {%d e}", g, g0.Counter+5)
	}
	err := s.Update(ctx, func(tx store.Tx) error {
		_, err := tx.ClaimLocks(ctx, "")
		return err
	})
	if err == nil {
		t.Fatal("a claim with no writer was accepted")
	}
}

// claimWaits checks that a claim on one handle waits for the transaction
// that claimed on another to end, and then sees what it committed.
func claimWaits(t *testing.T, s1, s2 store.Store) {
	ctx := t.Context()
	g0 := claim(t, s1, "first", nil)
	claimed := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		must(t, s1.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.ClaimLocks(ctx, "holder"); err != nil {
				return err
			}
			close(claimed)
			time.Sleep(200 * time.Millisecond)
			return tx.PutLockLimit(ctx, "default/Mutex/m", 1)
		}))
	})
	<-claimed
	g := claim(t, s2, "second", nil)
	wg.Wait()
	if g != (store.LockGeneration{Counter: g0.Counter + 2, Writer: "holder"}) {
		t.Fatalf("the second handle's claim saw %+v, want the first's {%d holder}: it did not wait", g, g0.Counter+2)
	}
	var limit int
	must(t, s2.View(ctx, func(tx store.Tx) error {
		st, err := tx.LoadLocks(ctx)
		for _, l := range st.Locks {
			limit = l.Limit
		}
		return err
	}))
	if limit != 1 {
		t.Fatalf("the first handle's change is not seen after the second claim (limit %d)", limit)
	}
}
