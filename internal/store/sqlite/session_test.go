package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
)

func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "semaflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func session(id string, now time.Time) store.Session {
	return store.Session{ID: id, Kind: "server", Host: "h1", PID: 42, Process: "42 100 boot", Addr: "http://127.0.0.1:2746",
		Started: now, Expires: now.Add(15 * time.Second)}
}

func sessionWF(name, phase string) *wfv1.Workflow {
	wf := &wfv1.Workflow{}
	wf.Kind = wfv1.KindWorkflow
	wf.Metadata.Namespace, wf.Metadata.Name, wf.Metadata.UID = "default", name, "uid-"+name
	now := time.Now()
	wf.Metadata.CreationTimestamp = &now
	wf.Status.Phase = phase
	return wf
}

// ownedBy lists the workflows of a session through the store's filter.
func ownedBy(t *testing.T, db *DB, id string) []string {
	t.Helper()
	var names []string
	ctx := context.Background()
	err := db.View(ctx, func(tx store.Tx) error {
		list, _, err := tx.ListWorkflows(ctx, store.ListOptions{Session: id})
		for _, wf := range list {
			names = append(names, wf.Metadata.Name)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func holdSession(t *testing.T, db *DB, holder string) string {
	t.Helper()
	var s string
	if err := db.db.QueryRow(`SELECT session FROM lock_holds WHERE holder = ?`, holder).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSessionOpenListRenewClose(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	want := session("s1", now)
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.OpenSession(ctx, want) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.OpenSession(ctx, want) }); !errors.Is(err, store.ErrExists) {
		t.Fatalf("opening s1 twice: %v, want ErrExists", err)
	}
	list := func() []store.Session {
		var out []store.Session
		if err := db.View(ctx, func(tx store.Tx) error {
			var err error
			out, err = tx.ListSessions(ctx)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	got := list()
	if len(got) != 1 || got[0] != want {
		t.Fatalf("sessions %+v, want %+v", got, want)
	}
	later := now.Add(time.Minute)
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.RenewSession(ctx, "s1", later) }); err != nil {
		t.Fatal(err)
	}
	if got := list(); !got[0].Expires.Equal(later) {
		t.Fatalf("renewed lease expires %v, want %v", got[0].Expires, later)
	}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.RenewSession(ctx, "nobody", later) }); !errors.Is(err, store.ErrSessionLost) {
		t.Fatalf("renewing an unknown session: %v, want ErrSessionLost", err)
	}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.CloseSession(ctx, "s1") }); err != nil {
		t.Fatal(err)
	}
	if got := list(); len(got) != 0 {
		t.Fatalf("after close: %+v", got)
	}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.RenewSession(ctx, "s1", later) }); !errors.Is(err, store.ErrSessionLost) {
		t.Fatalf("renewing a closed session: %v, want ErrSessionLost", err)
	}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.CloseSession(ctx, "s1") }); err != nil {
		t.Fatalf("closing twice: %v", err)
	}
}

// A transaction bound to a session that is gone writes nothing; one bound
// to a live session stamps what it creates.
func TestBindSessionRefusesALostSessionAndStamps(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	now := time.Now()
	if err := db.Update(ctx, func(tx store.Tx) error {
		if err := tx.BindSession(ctx, "s1"); err != nil {
			return err
		}
		return tx.CreateWorkflow(ctx, sessionWF("never", wfv1.PhaseRunning))
	}); !errors.Is(err, store.ErrSessionLost) {
		t.Fatalf("bound to an unknown session: %v, want ErrSessionLost", err)
	}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.OpenSession(ctx, session("s1", now)) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx store.Tx) error {
		if err := tx.BindSession(ctx, "s1"); err != nil {
			return err
		}
		if err := tx.CreateWorkflow(ctx, sessionWF("mine", wfv1.PhaseRunning)); err != nil {
			return err
		}
		return tx.PutHold(ctx, "default/mine", []store.LockToken{{Lock: "default/Mutex/m", Value: 1}})
	}); err != nil {
		t.Fatal(err)
	}
	if got := ownedBy(t, db, "s1"); len(got) != 1 || got[0] != "mine" {
		t.Fatalf("workflows of s1: %v, want [mine]", got)
	}
	if s := holdSession(t, db, "default/mine"); s != "s1" {
		t.Fatalf("hold of default/mine stamped %q, want s1", s)
	}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.CloseSession(ctx, "s1") }); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx store.Tx) error {
		if err := tx.BindSession(ctx, "s1"); err != nil {
			return err
		}
		return tx.CreateWorkflow(ctx, sessionWF("late", wfv1.PhaseRunning))
	}); !errors.Is(err, store.ErrSessionLost) {
		t.Fatalf("bound to a closed session: %v, want ErrSessionLost", err)
	}
	if err := db.View(ctx, func(tx store.Tx) error {
		_, err := tx.GetWorkflow(ctx, "default", "late")
		return err
	}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a lost session's write was kept: %v", err)
	}
}

// TakeOver removes the sessions it is given and moves the unfinished
// workflows and the holds of every session no longer recorded to the new
// one; a live session keeps its own.
func TestTakeOverMovesWhatDeadSessionsOwned(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	now := time.Now()
	for _, id := range []string{"dead", "live", "closed"} {
		if err := db.Update(ctx, func(tx store.Tx) error { return tx.OpenSession(ctx, session(id, now)) }); err != nil {
			t.Fatal(err)
		}
	}
	put := func(id, name, phase string) {
		t.Helper()
		if err := db.Update(ctx, func(tx store.Tx) error {
			if err := tx.BindSession(ctx, id); err != nil {
				return err
			}
			if err := tx.CreateWorkflow(ctx, sessionWF(name, phase)); err != nil {
				return err
			}
			return tx.PutHold(ctx, "default/"+name, []store.LockToken{{Lock: "default/Mutex/" + name, Value: 1}})
		}); err != nil {
			t.Fatal(err)
		}
	}
	put("dead", "d-running", wfv1.PhaseRunning)
	put("dead", "d-pending", wfv1.PhasePending)
	put("dead", "d-done", wfv1.PhaseSucceeded)
	put("live", "l-running", wfv1.PhaseRunning)
	put("closed", "c-running", wfv1.PhaseRunning)
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.CloseSession(ctx, "closed") }); err != nil {
		t.Fatal(err)
	}
	var moved int
	if err := db.Update(ctx, func(tx store.Tx) error {
		if err := tx.OpenSession(ctx, session("new", now)); err != nil {
			return err
		}
		var err error
		moved, err = tx.TakeOver(ctx, "new", []string{"dead"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if moved != 3 {
		t.Fatalf("TakeOver moved %d workflows, want 3 (two of the dead session, one of the closed)", moved)
	}
	if got := ownedBy(t, db, "new"); len(got) != 3 {
		t.Fatalf("workflows of the new session: %v, want d-running, d-pending and c-running", got)
	}
	if got := ownedBy(t, db, "live"); len(got) != 1 || got[0] != "l-running" {
		t.Fatalf("workflows of the live session: %v, want [l-running]", got)
	}
	if got := ownedBy(t, db, "dead"); len(got) != 1 || got[0] != "d-done" {
		t.Fatalf("a finished workflow keeps its session: %v, want [d-done]", got)
	}
	for holder, want := range map[string]string{"default/d-running": "new", "default/c-running": "new", "default/l-running": "live"} {
		if s := holdSession(t, db, holder); s != want {
			t.Errorf("hold of %s: session %q, want %q", holder, s, want)
		}
	}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.BindSession(ctx, "dead") }); !errors.Is(err, store.ErrSessionLost) {
		t.Fatalf("a taken-over session still binds: %v", err)
	}
}

// Workflows and holds written before sessions existed belong to no
// session, and the first engine takes them over.
func TestTakeOverAdoptsRowsFromBeforeSessions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, sessionWF("old", wfv1.PhaseRunning)) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx store.Tx) error {
		if err := tx.OpenSession(ctx, session("first", time.Now())); err != nil {
			return err
		}
		_, err := tx.TakeOver(ctx, "first", nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := ownedBy(t, db, "first"); len(got) != 1 {
		t.Fatalf("workflows of the first session: %v, want [old]", got)
	}
	_ = db.Close()
}
