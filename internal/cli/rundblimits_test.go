package cli

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/store/sqlite"
)

// run's lint knows the database semaphore limits of the database it will
// use: those stored in --db, none in a new one; so it warns only about a
// limit that is not set (hostile 19, LOW: lint ok, then Failed at once).
func TestRunLintSeesTheDatabaseLimits(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "a.db")
	s, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.PutLockLimit(ctx, "default/Database/seats", 2) }); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if n, ok := runDBLimits(ctx, db).DatabaseLimit("default", "seats"); !ok || n != 2 {
		t.Fatalf("limit of seats in --db: %d, %v", n, ok)
	}
	if _, ok := runDBLimits(ctx, db).DatabaseLimit("default", "other"); ok {
		t.Fatal("a limit never set was found")
	}
	if _, ok := runDBLimits(ctx, "").DatabaseLimit("default", "seats"); ok {
		t.Fatal("run without --db (a new database) found a limit")
	}
	if _, ok := runDBLimits(ctx, filepath.Join(t.TempDir(), "new.db")).DatabaseLimit("default", "seats"); ok {
		t.Fatal("a --db that does not exist yet found a limit")
	}
}
