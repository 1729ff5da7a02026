package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/store"
)

// storeError maps what SQLite and database/sql return by code, never by
// text: each case is a real error from the database where one can be
// made, and an error that only reads like SQLite's is left alone.
func TestStoreErrorMapsByCode(t *testing.T) {
	db := openTemp(t)
	ctx := t.Context()
	// A raw error from the database, bypassing the driver's own mapping.
	raw := func(q string, args ...any) error {
		t.Helper()
		_, err := db.db.ExecContext(ctx, q, args...)
		if err == nil {
			t.Fatalf("%s: no error", q)
		}
		return err
	}
	for _, q := range []string{
		`INSERT INTO sessions (id, kind, host, pid, started, expires) VALUES ('s', 'run', 'h', 1, 0, 0)`,
		`INSERT INTO workflows (uid, namespace, name, created_at) VALUES ('u1', 'default', 'w', 0)`,
	} {
		if _, err := db.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	primaryKey := raw(`INSERT INTO sessions (id, kind, host, pid, started, expires) VALUES ('s', 'run', 'h', 1, 0, 0)`)
	unique := raw(`INSERT INTO workflows (uid, namespace, name, created_at) VALUES ('u2', 'default', 'w', 0)`)
	notNull := raw(`INSERT INTO sessions (id) VALUES ('t')`)
	syntax := raw(`INSERT INTO nowhere VALUES (1)`)
	noRow := db.db.QueryRowContext(ctx, `SELECT id FROM sessions WHERE id = 'nobody'`).Scan(new(string))

	full := fmt.Errorf("write: %w", syscall.ENOSPC)
	already := fmt.Errorf("workflow default/w: %w", store.ErrExists)
	for _, c := range []struct {
		name string
		err  error
		want error // nil: no sentinel
	}{
		{"primary key", primaryKey, store.ErrExists},
		{"unique", unique, store.ErrExists},
		{"no row", noRow, store.ErrNotFound},
		{"ENOSPC", full, store.ErrNoSpace},
		{"EDQUOT", fmt.Errorf("write: %w", syscall.EDQUOT), store.ErrNoSpace},
		{"not null", notNull, nil},
		{"syntax", syntax, nil},
		{"text only", errors.New("constraint failed: UNIQUE constraint failed: workflows.name (2067)"), nil},
		{"already mapped", already, store.ErrExists},
	} {
		got := db.storeError(c.err)
		if !errors.Is(got, c.err) {
			t.Errorf("%s: %v lost the original error %v", c.name, got, c.err)
		}
		for _, s := range []error{store.ErrExists, store.ErrNotFound, store.ErrNoSpace, store.ErrSessionLost} {
			if is, want := errors.Is(got, s), c.want != nil && errors.Is(c.want, s); is != want {
				t.Errorf("%s: errors.Is(%v, %v) = %t", c.name, got, s, is)
			}
		}
	}
	if db.storeError(nil) != nil {
		t.Error("a nil error was mapped to one")
	}
	if got := db.storeError(already); got.Error() != already.Error() {
		t.Errorf("an error already carrying a sentinel was wrapped again: %v", got)
	}
	if got := db.storeError(full); !strings.Contains(got.Error(), db.path) {
		t.Errorf("no room: %v does not name the database %s", got, db.path)
	}
	if got := db.storeError(noRow); !errors.Is(got, sql.ErrNoRows) {
		t.Errorf("no row: %v no longer is sql.ErrNoRows", got)
	}
}

// The driver's methods turn the mapped errors into the sentinels the
// store documents, naming what they concern.
func TestDriverReturnsSentinels(t *testing.T) {
	db := openTemp(t)
	ctx := t.Context()
	s := session("s1", time.Unix(1_700_000_000, 0))
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.OpenSession(ctx, s) }); err != nil {
		t.Fatal(err)
	}
	err := db.Update(ctx, func(tx store.Tx) error { return tx.OpenSession(ctx, s) })
	if !errors.Is(err, store.ErrExists) || !strings.HasPrefix(err.Error(), "session s1: ") {
		t.Errorf("a session opened twice: %v, want ErrExists naming session s1", err)
	}
	err = db.Update(ctx, func(tx store.Tx) error { return tx.BindSession(ctx, "nobody") })
	if !errors.Is(err, store.ErrSessionLost) || errors.Is(err, store.ErrNotFound) {
		t.Errorf("binding an unknown session: %v, want ErrSessionLost only", err)
	}
	key := store.ObjectKey{Kind: "ConfigMap", Namespace: "default", Name: "limits"}
	err = db.View(ctx, func(tx store.Tx) error {
		_, err := tx.GetObject(ctx, key)
		return err
	})
	if !errors.Is(err, store.ErrNotFound) || err.Error() != "ConfigMap default/limits: not found" {
		t.Errorf("a missing object: %q, want ErrNotFound as \"ConfigMap default/limits: not found\"", err)
	}
}

// A write lock held past the wait (a process stopped mid-write) is
// store.ErrBusy, naming the database and what to do.
func TestBusyIsErrBusy(t *testing.T) {
	db := openTemp(t)
	ctx := t.Context()
	other, err := sql.Open("sqlite", "file:"+db.path+"?_pragma=busy_timeout(50)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	_, raw := other.ExecContext(ctx, `INSERT INTO sessions (id, kind, host, pid, started, expires) VALUES ('b', 'run', 'h', 1, 0, 0)`)
	if raw == nil {
		t.Fatal("a second handle wrote while the first held the write lock")
	}
	got := db.storeError(raw)
	if !errors.Is(got, store.ErrBusy) || !errors.Is(got, raw) || !strings.Contains(got.Error(), db.path) || !strings.Contains(got.Error(), "SIGSTOP") {
		t.Fatalf("busy: %v; want store.ErrBusy naming %s and a likely cause", got, db.path)
	}
}
