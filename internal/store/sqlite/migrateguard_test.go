package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/store"
)

// A database an older engine still holds is not migrated under it: Open
// refuses, naming the migration and the engine, and changes nothing;
// once that engine is gone (its session ended, or Live says it is dead)
// the same Open migrates.
func TestMigrationWaitsForTheLiveOlderEngine(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	raw := applyUpTo(t, path, 11)
	expires := time.Now().Add(time.Hour).UnixNano()
	if _, err := raw.ExecContext(ctx, `INSERT INTO sessions (id, kind, node, host, pid, process, addr, started, expires)
		VALUES ('s1', 'server', '', 'hostA', 4242, '4242 1 boot', '', 1, ?)`, expires); err != nil {
		t.Fatal(err)
	}
	_ = raw.Close()

	var asked []string
	liveAll := func(s store.Session) bool { asked = append(asked, s.ID); return true }
	_, err := OpenWith(ctx, path, Options{Live: liveAll})
	var blocked *MigrationBlockedError
	if !errors.As(err, &blocked) {
		t.Fatalf("open under a live older engine: %v, want a MigrationBlockedError", err)
	}
	for _, want := range []string{path, "0012_", "server", "pid 4242", "hostA", "stop that one first"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if len(asked) != 1 || asked[0] != "s1" {
		t.Fatalf("Live asked about %v, want [s1]", asked)
	}
	db, err := OpenWith(ctx, path, Options{Live: func(store.Session) bool { return false }})
	if err != nil {
		t.Fatalf("open once the engine is gone: %v", err)
	}
	defer db.Close()
	var n int
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = 12`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("migration 12 applied %d times (%v) after the engine left, want 1", n, err)
	}
}

// A session whose lease ended holds nothing: Live is not even asked.
func TestMigrationIgnoresEndedSessions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	raw := applyUpTo(t, path, 11)
	if _, err := raw.ExecContext(ctx, `INSERT INTO sessions (id, kind, node, host, pid, process, addr, started, expires)
		VALUES ('s1', 'run', '', 'h', 1, '1 1 b', '', 1, 2)`); err != nil {
		t.Fatal(err)
	}
	_ = raw.Close()
	db, err := OpenWith(ctx, path, Options{Live: func(store.Session) bool { t.Error("Live asked about an ended session"); return true }})
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
}
