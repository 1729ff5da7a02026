package sqlite

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/semaflow/semaflow/internal/store"
)

// A migration that landed after a higher-numbered one (written on a
// parallel branch) is still applied to a database that has the higher one.
func TestMissingMigrationIsApplied(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	// As a database migrated before 0004 existed, but after a 0005 did.
	for _, q := range []string{`DROP TABLE lock_generation`, `DELETE FROM schema_migrations WHERE version = 4`,
		`INSERT INTO schema_migrations (version) VALUES (999)`} {
		if _, err := db.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	_ = db.Close()
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.db.QueryRowContext(ctx, `SELECT counter FROM lock_generation WHERE id = 1`).Scan(&n); err != nil {
		t.Fatalf("migration 0004 was not applied: %v", err)
	}
}

// The embedded migrations are numbered 1, 2, 3… each once, and a new
// database records every one of them.
func TestMigrationsNumberedFromOne(t *testing.T) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	list, err := store.Migrations(names)
	if err != nil {
		t.Fatal(err)
	}
	db := openTemp(t)
	if got := appliedVersions(t, db); len(got) != len(list) || got[0] != 1 || got[len(got)-1] != len(list) {
		t.Fatalf("applied versions %v, want 1 to %d", got, len(list))
	}
}

func appliedVersions(t *testing.T, db *DB) []int {
	t.Helper()
	rows, err := db.db.QueryContext(context.Background(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}
