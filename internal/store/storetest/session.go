package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/store"
)

// exerciseSession covers OpenSession, ListSessions, RenewSession,
// CloseSession, TakeOver and BindSession, and the ListOptions.Session
// filter they feed.
func exerciseSession(t *testing.T, open Factory) {
	each(t, open, map[string]check{
		"Lifecycle":       sessionLifecycle,
		"Bind":            sessionBind,
		"TakeOver":        sessionTakeOver,
		"TakeOverUnowned": sessionTakeOverUnowned,
		"PutWorkflowOwns": sessionPutWorkflowOwns,
		"TakeOverRenewed": takeOverRenewed,
		"NodeName":        sessionNodeName,
	})
	eachShared(t, open, map[string]sharedCheck{
		"TakeOverRace":         func(t *testing.T, s1, s2 store.Store) { takeOverRace(t, s1, s2, []store.Session{unrenewed("dead")}) },
		"TakeOverRaceUnlisted": func(t *testing.T, s1, s2 store.Store) { takeOverRace(t, s1, s2, nil) },
		"BindHoldsOffTakeOver": bindHoldsOffTakeOver,
	})
}

func newSession(id string, now time.Time) store.Session {
	return store.Session{ID: id, Kind: "server", Host: "h1", PID: 42, Process: "42 100 boot", Addr: "http://127.0.0.1:2746",
		Started: now, Expires: now.Add(15 * time.Second)}
}

func sessionWF(name, phase string) *wfv1.Workflow {
	wf := newWF("default", name, time.Now())
	wf.Status.Phase = phase
	return wf
}

// ownedBy lists the names of the workflows of session id, through the
// store's filter, in name order.
func ownedBy(t *testing.T, s store.Store, id string) []string {
	t.Helper()
	ctx := t.Context()
	var names []string
	view(t, s, func(tx store.Tx) error {
		list, _, err := tx.ListWorkflows(ctx, store.ListOptions{Session: id})
		for _, wf := range list {
			names = append(names, wf.Metadata.Name)
		}
		return err
	})
	slices.Sort(names)
	return names
}

func listSessions(t *testing.T, s store.Store) []store.Session {
	t.Helper()
	var out []store.Session
	view(t, s, func(tx store.Tx) error {
		var err error
		out, err = tx.ListSessions(t.Context())
		return err
	})
	return out
}

// sameSession compares sessions field by field, times by instant: a
// driver may keep another location or monotonic reading.
func sameSession(a, b store.Session) bool {
	return a.ID == b.ID && a.Kind == b.Kind && a.Host == b.Host && a.PID == b.PID && a.Process == b.Process &&
		a.Addr == b.Addr && a.Started.Equal(b.Started) && a.Expires.Equal(b.Expires)
}

// sessionLifecycle: a session is opened once, listed oldest first,
// renewed (even past its lease), and closed; a session that is gone
// cannot be renewed, and closing it again is not an error.
func sessionLifecycle(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := time.Unix(1_700_000_000, 0)
	want := newSession("s1", now)
	update(t, s, func(tx store.Tx) error { return tx.OpenSession(ctx, want) })
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.OpenSession(ctx, want) }); !errors.Is(err, store.ErrExists) {
		t.Fatalf("opening s1 twice: %v, want ErrExists", err)
	}
	older := newSession("s0", now.Add(-time.Hour))
	update(t, s, func(tx store.Tx) error { return tx.OpenSession(ctx, older) })
	if got := listSessions(t, s); len(got) != 2 || !sameSession(got[0], older) || !sameSession(got[1], want) {
		t.Fatalf("sessions %+v, want s0 then %+v", got, want)
	}
	later := now.Add(time.Minute)
	update(t, s, func(tx store.Tx) error { return tx.RenewSession(ctx, "s1", later) })
	// s0's lease ended an hour ago: it is renewed all the same.
	update(t, s, func(tx store.Tx) error { return tx.RenewSession(ctx, "s0", later) })
	for _, got := range listSessions(t, s) {
		if !got.Expires.Equal(later) {
			t.Fatalf("renewed lease of %s expires %v, want %v", got.ID, got.Expires, later)
		}
	}
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.RenewSession(ctx, "nobody", later) }); !errors.Is(err, store.ErrSessionLost) {
		t.Fatalf("renewing an unknown session: %v, want ErrSessionLost", err)
	}
	update(t, s, func(tx store.Tx) error { return tx.CloseSession(ctx, "s1") })
	if got := listSessions(t, s); len(got) != 1 || got[0].ID != "s0" {
		t.Fatalf("after closing s1: %+v, want s0 alone", got)
	}
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.RenewSession(ctx, "s1", later) }); !errors.Is(err, store.ErrSessionLost) {
		t.Fatalf("renewing a closed session: %v, want ErrSessionLost", err)
	}
	update(t, s, func(tx store.Tx) error { return tx.CloseSession(ctx, "s1") })
}

// sessionBind: a transaction bound to a session that is gone fails with
// ErrSessionLost and writes nothing; one bound to a live session stamps
// the workflows it creates with it.
func sessionBind(t *testing.T, s store.Store) {
	ctx := t.Context()
	bound := func(id string, wf *wfv1.Workflow) error {
		return s.Update(ctx, func(tx store.Tx) error {
			if err := tx.BindSession(ctx, id); err != nil {
				return err
			}
			return tx.CreateWorkflow(ctx, wf)
		})
	}
	if err := bound("s1", sessionWF("never", wfv1.PhaseRunning)); !errors.Is(err, store.ErrSessionLost) {
		t.Fatalf("bound to an unknown session: %v, want ErrSessionLost", err)
	}
	update(t, s, func(tx store.Tx) error { return tx.OpenSession(ctx, newSession("s1", time.Now())) })
	update(t, s, func(tx store.Tx) error { return tx.OpenSession(ctx, newSession("s2", time.Now())) })
	must(t, bound("s1", sessionWF("mine", wfv1.PhaseRunning)))
	must(t, bound("s2", sessionWF("theirs", wfv1.PhaseRunning)))
	update(t, s, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, sessionWF("unbound", wfv1.PhaseRunning)) })
	if got := ownedBy(t, s, "s1"); !slices.Equal(got, []string{"mine"}) {
		t.Fatalf("workflows of s1: %v, want [mine]", got)
	}
	update(t, s, func(tx store.Tx) error { return tx.CloseSession(ctx, "s1") })
	if err := bound("s1", sessionWF("late", wfv1.PhaseRunning)); !errors.Is(err, store.ErrSessionLost) {
		t.Fatalf("bound to a closed session: %v, want ErrSessionLost", err)
	}
	if _, err := get(t, s, "default", "late"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a lost session's write was kept: %v", err)
	}
}

// sessionTakeOver: TakeOver removes the sessions it is given and moves
// the unfinished workflows of every session no longer recorded to the
// new one; a live session keeps its own, and a finished workflow keeps
// the session that ran it.
func sessionTakeOver(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := time.Now()
	for _, id := range []string{"dead", "live", "closed"} {
		update(t, s, func(tx store.Tx) error { return tx.OpenSession(ctx, newSession(id, now)) })
	}
	put := func(id, name, phase string) {
		t.Helper()
		update(t, s, func(tx store.Tx) error {
			if err := tx.BindSession(ctx, id); err != nil {
				return err
			}
			if err := tx.CreateWorkflow(ctx, sessionWF(name, phase)); err != nil {
				return err
			}
			if err := tx.PutLockLimit(ctx, "default/Mutex/"+name, 1); err != nil {
				return err
			}
			return tx.PutHold(ctx, "default/"+name, []domain.Token{{Lock: "default/Mutex/" + name, Value: 1}}, store.HoldInfo{Since: time.Unix(1, 0)})
		})
	}
	put("dead", "d-running", wfv1.PhaseRunning)
	put("dead", "d-pending", wfv1.PhasePending)
	put("dead", "d-done", wfv1.PhaseSucceeded)
	put("live", "l-running", wfv1.PhaseRunning)
	put("closed", "c-running", wfv1.PhaseRunning)
	update(t, s, func(tx store.Tx) error { return tx.CloseSession(ctx, "closed") })
	var moved []string
	update(t, s, func(tx store.Tx) error {
		if err := tx.OpenSession(ctx, newSession("new", now)); err != nil {
			return err
		}
		var err error
		moved, err = tx.TakeOver(ctx, "new", []store.Session{unrenewed("dead")})
		return err
	})
	if len(moved) != 3 {
		t.Fatalf("TakeOver moved %v, want 3 workflows (two of the dead session, one of the closed)", moved)
	}
	for id, want := range map[string][]string{
		"new":  {"c-running", "d-pending", "d-running"},
		"live": {"l-running"},
		"dead": {"d-done"},
	} {
		if got := ownedBy(t, s, id); !slices.Equal(got, want) {
			t.Errorf("workflows of session %s: %v, want %v", id, got, want)
		}
	}
	if got := listSessions(t, s); len(got) != 2 || got[0].ID == "dead" || got[1].ID == "dead" {
		t.Errorf("sessions after the takeover: %+v, want live and new", got)
	}
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.BindSession(ctx, "dead") }); !errors.Is(err, store.ErrSessionLost) {
		t.Fatalf("a taken-over session still binds: %v", err)
	}
	// The holds stay where they were: a takeover changes their owner only.
	if st := loadLocks(t, s); len(st.Holds) != 5 {
		t.Errorf("holds after the takeover: %+v, want all 5", st.Holds)
	}
}

// sessionTakeOverUnowned: workflows written by no session (before
// sessions existed, or outside any engine) go to the first session that
// takes over.
func sessionTakeOverUnowned(t *testing.T, s store.Store) {
	ctx := t.Context()
	update(t, s, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, sessionWF("old", wfv1.PhaseRunning)) })
	update(t, s, func(tx store.Tx) error {
		if err := tx.OpenSession(ctx, newSession("first", time.Now())); err != nil {
			return err
		}
		_, err := tx.TakeOver(ctx, "first", nil)
		return err
	})
	if got := ownedBy(t, s, "first"); !slices.Equal(got, []string{"old"}) {
		t.Fatalf("workflows of the first session: %v, want [old]", got)
	}
}

// sessionPutWorkflowOwns: the session that writes a whole workflow
// (PutWorkflow, as a retry does on whichever node it was asked of) owns
// it from then on; a status write (PutStatus) changes no owner, and an
// unbound write keeps the owner.
func sessionPutWorkflowOwns(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := time.Now()
	for _, id := range []string{"a", "b"} {
		update(t, s, func(tx store.Tx) error { return tx.OpenSession(ctx, newSession(id, now)) })
	}
	wf := sessionWF("w", wfv1.PhaseFailed)
	update(t, s, func(tx store.Tx) error {
		if err := tx.BindSession(ctx, "a"); err != nil {
			return err
		}
		return tx.CreateWorkflow(ctx, wf)
	})
	wf.Status.Phase = wfv1.PhaseRunning
	update(t, s, func(tx store.Tx) error {
		if err := tx.BindSession(ctx, "b"); err != nil {
			return err
		}
		return tx.PutStatus(ctx, wf)
	})
	if got := ownedBy(t, s, "a"); !slices.Equal(got, []string{"w"}) {
		t.Fatalf("after b's PutStatus, a owns %v, want [w]", got)
	}
	update(t, s, func(tx store.Tx) error {
		if err := tx.BindSession(ctx, "b"); err != nil {
			return err
		}
		return tx.PutWorkflow(ctx, wf)
	})
	if got := ownedBy(t, s, "b"); !slices.Equal(got, []string{"w"}) {
		t.Fatalf("after b's PutWorkflow, b owns %v, want [w]", got)
	}
	update(t, s, func(tx store.Tx) error { return tx.PutWorkflow(ctx, wf) })
	if got := ownedBy(t, s, "b"); !slices.Equal(got, []string{"w"}) {
		t.Fatalf("after an unbound PutWorkflow, b owns %v, want [w]", got)
	}
}

// sessionNodeName: a session's node name is kept.
func sessionNodeName(t *testing.T, s store.Store) {
	ctx := t.Context()
	sess := newSession("n", time.Now())
	sess.Node = "node-1"
	update(t, s, func(tx store.Tx) error { return tx.OpenSession(ctx, sess) })
	if got := listSessions(t, s); len(got) != 1 || got[0].Node != "node-1" {
		t.Fatalf("sessions: %+v, want one of node node-1", got)
	}
}
