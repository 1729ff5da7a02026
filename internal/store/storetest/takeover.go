package storetest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/store"
)

// takeOverRace: two engines, on two handles, take over at once. The
// first takes over session "dead" and holds its transaction open a
// while; the second, meanwhile, takes over second (the same session, or
// none: then it would still collect the workflows of every session no
// longer recorded). Whatever the driver's locking, the second must move
// none of what the first moved: the first's session is live once it
// commits. A driver that decides "no longer recorded" from a view older
// than the first's commit hands the workflows over twice.
func takeOverRace(t *testing.T, s1, s2 store.Store, second []store.Session) {
	ctx := t.Context()
	now := time.Now()
	update(t, s1, func(tx store.Tx) error { return tx.OpenSession(ctx, newSession("dead", now.Add(-time.Hour))) })
	var want []string
	for _, name := range []string{"d-running", "d-pending"} {
		wf := sessionWF(name, wfv1.PhaseRunning)
		if name == "d-pending" {
			wf.Status.Phase = wfv1.PhasePending
		}
		want = append(want, wf.Metadata.UID)
		update(t, s1, func(tx store.Tx) error {
			if err := tx.BindSession(ctx, "dead"); err != nil {
				return err
			}
			if err := tx.CreateWorkflow(ctx, wf); err != nil {
				return err
			}
			if err := tx.PutLockLimit(ctx, "default/Mutex/"+name, 1); err != nil {
				return err
			}
			return tx.PutHold(ctx, "default/"+name, []domain.Token{{Lock: "default/Mutex/" + name, Value: 1}}, store.HoldInfo{Since: time.Unix(1, 0)})
		})
	}
	unowned := sessionWF("unowned", wfv1.PhaseRunning)
	want = append(want, unowned.Metadata.UID)
	update(t, s1, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, unowned) })
	slices.Sort(want)

	tookOver := make(chan struct{})
	var wg sync.WaitGroup
	var first, other []string
	var firstErr, otherErr error
	wg.Go(func() {
		firstErr = s1.Update(ctx, func(tx store.Tx) error {
			if err := tx.OpenSession(ctx, newSession("first", now)); err != nil {
				return err
			}
			var err error
			first, err = tx.TakeOver(ctx, "first", []store.Session{unrenewed("dead")})
			close(tookOver)
			if err != nil {
				return err
			}
			// The other engine's takeover starts meanwhile.
			time.Sleep(300 * time.Millisecond)
			return nil
		})
	})
	<-tookOver
	wg.Go(func() {
		otherErr = s2.Update(ctx, func(tx store.Tx) error {
			if err := tx.OpenSession(ctx, newSession("other", now)); err != nil {
				return err
			}
			var err error
			other, err = tx.TakeOver(ctx, "other", second)
			return err
		})
	})
	wg.Wait()
	must(t, firstErr)
	must(t, otherErr)
	slices.Sort(first)
	if !slices.Equal(first, want) {
		t.Fatalf("the first takeover moved %v, want %v", first, want)
	}
	if len(other) != 0 {
		t.Fatalf("the second takeover (of %v) moved %v too: the first engine's workflows were handed over twice", second, other)
	}
	if got := ownedBy(t, s2, "first"); !slices.Equal(got, []string{"d-pending", "d-running", "unowned"}) {
		t.Fatalf("workflows of the first engine: %v, want all three", got)
	}
	if got := ownedBy(t, s1, "other"); len(got) != 0 {
		t.Fatalf("workflows of the second engine: %v, want none", got)
	}
}

// bindHoldsOffTakeOver: a takeover that starts while a transaction bound
// to the old session is open waits for it, and then moves what it wrote:
// the bound write is neither lost nor left to a session that is gone.
func bindHoldsOffTakeOver(t *testing.T, s1, s2 store.Store) {
	ctx := t.Context()
	update(t, s1, func(tx store.Tx) error { return tx.OpenSession(ctx, newSession("old", time.Now().Add(-time.Hour))) })
	wf := sessionWF("late-write", wfv1.PhaseRunning)
	bound := make(chan struct{})
	var wg sync.WaitGroup
	var writeErr error
	wg.Go(func() {
		writeErr = s1.Update(ctx, func(tx store.Tx) error {
			if err := tx.BindSession(ctx, "old"); err != nil {
				return err
			}
			close(bound)
			// The takeover starts meanwhile.
			time.Sleep(300 * time.Millisecond)
			return tx.CreateWorkflow(ctx, wf)
		})
	})
	<-bound
	var moved []string
	update(t, s2, func(tx store.Tx) error {
		if err := tx.OpenSession(ctx, newSession("new", time.Now())); err != nil {
			return err
		}
		var err error
		moved, err = tx.TakeOver(ctx, "new", []store.Session{unrenewed("old")})
		return err
	})
	wg.Wait()
	must(t, writeErr)
	if !slices.Equal(moved, []string{wf.Metadata.UID}) {
		t.Fatalf("the takeover moved %v, want the bound transaction's workflow %s: it did not wait for it", moved, wf.Metadata.UID)
	}
	if got := ownedBy(t, s1, "new"); !slices.Equal(got, []string{"late-write"}) {
		t.Fatalf("workflows of the new session: %v, want [late-write]", got)
	}
}

// unrenewed names session id for TakeOver as read with any lease end: a
// check that is not about renewals takes it over whatever its lease.
func unrenewed(id string) store.Session {
	return store.Session{ID: id, Expires: time.Unix(1<<32, 0)}
}

// takeOverRenewed: a session renewed after the engine taking over read it
// is not taken over (the engine found it silent, but it came back in
// between): it keeps its session, its workflows and its holds.
func takeOverRenewed(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := time.Now()
	old := newSession("back", now.Add(-time.Hour))
	update(t, s, func(tx store.Tx) error { return tx.OpenSession(ctx, old) })
	var seen store.Session
	for _, o := range listSessions(t, s) {
		if o.ID == "back" {
			seen = o
		}
	}
	wf := sessionWF("b-running", wfv1.PhaseRunning)
	update(t, s, func(tx store.Tx) error {
		if err := tx.BindSession(ctx, "back"); err != nil {
			return err
		}
		return tx.CreateWorkflow(ctx, wf)
	})
	update(t, s, func(tx store.Tx) error { return tx.RenewSession(ctx, "back", now.Add(time.Minute)) })
	var moved []string
	update(t, s, func(tx store.Tx) error {
		if err := tx.OpenSession(ctx, newSession("adopter", now)); err != nil {
			return err
		}
		var err error
		moved, err = tx.TakeOver(ctx, "adopter", []store.Session{seen})
		return err
	})
	if len(moved) != 0 {
		t.Fatalf("a session renewed since it was read lost %v", moved)
	}
	if got := ownedBy(t, s, "back"); !slices.Equal(got, []string{"b-running"}) {
		t.Fatalf("workflows of the renewed session: %v, want [b-running]", got)
	}
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.BindSession(ctx, "back") }); err != nil {
		t.Fatalf("the renewed session no longer binds: %v", err)
	}
	// Read again, with its new lease end, it is taken over.
	update(t, s, func(tx store.Tx) error {
		var err error
		moved, err = tx.TakeOver(ctx, "adopter", []store.Session{{ID: "back", Expires: now.Add(time.Minute)}})
		return err
	})
	if len(moved) != 1 {
		t.Fatalf("taking over the session as last read moved %v, want its workflow", moved)
	}
}
