package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
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
	return store.Session{ID: id, Kind: "server", Host: "h1", PID: 42, Started: now, Expires: now.Add(15 * time.Second)}
}

func holdSession(t *testing.T, db *DB, holder string) string {
	t.Helper()
	var s string
	if err := db.db.QueryRow(`SELECT session FROM lock_holds WHERE holder = ?`, holder).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// A hold names the session that wrote it, and a takeover moves the holds
// of sessions no longer recorded to the new one. The store interface
// reads no hold's session back, so the conformance suite cannot see this;
// it is checked here, in the table.
func TestHoldsNameTheirSession(t *testing.T) {
	db := openTemp(t)
	ctx := t.Context()
	now := time.Now()
	update := func(fn func(tx store.Tx) error) {
		t.Helper()
		if err := db.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"dead", "live"} {
		update(func(tx store.Tx) error { return tx.OpenSession(ctx, session(id, now)) })
	}
	for _, h := range []struct{ session, holder string }{{"dead", "default/d"}, {"live", "default/l"}, {"", "default/old"}} {
		update(func(tx store.Tx) error {
			if h.session != "" {
				if err := tx.BindSession(ctx, h.session); err != nil {
					return err
				}
			}
			return tx.PutHold(ctx, h.holder, []domain.Token{{Lock: "default/Mutex/m", Value: 1}}, store.HoldInfo{Since: time.Unix(1, 0)})
		})
	}
	if s := holdSession(t, db, "default/d"); s != "dead" {
		t.Fatalf("hold of default/d stamped %q, want dead", s)
	}
	update(func(tx store.Tx) error {
		if err := tx.OpenSession(ctx, session("new", now)); err != nil {
			return err
		}
		_, err := tx.TakeOver(ctx, "new", []store.Session{{ID: "dead", Expires: time.Unix(1<<32, 0)}})
		return err
	})
	for holder, want := range map[string]string{"default/d": "new", "default/old": "new", "default/l": "live"} {
		if s := holdSession(t, db, holder); s != want {
			t.Errorf("hold of %s: session %q, want %q", holder, s, want)
		}
	}
}
