package sqlite

import (
	"context"
	"path/filepath"
	"testing"
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
