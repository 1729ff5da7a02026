package app

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // the driver, to change a database behind the store's back

	"github.com/semaflow/semaflow/internal/store/sqlite"
)

// exec runs statements on a SQLite file directly.
func exec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func tableCount(t *testing.T, path, query string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// simulate --db reads: it never migrates a database, and says plainly
// when one is of another schema, another program's, or not a file.
func TestHistoryOpensReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	newDB := func(name string) string {
		p := filepath.Join(dir, name)
		s, err := sqlite.Open(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		_ = s.Close()
		return p
	}
	current := newDB("current.db")
	if _, _, err := History(ctx, current); err != nil {
		t.Fatalf("a current database: %v", err)
	}

	older := newDB("older.db")
	exec(t, older, `DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)`)
	before := tableCount(t, older, `SELECT COUNT(*) FROM schema_migrations`)
	_, _, err := History(ctx, older)
	if err == nil || !strings.Contains(err.Error(), "older") || strings.Contains(err.Error(), "migrate "+older) {
		t.Errorf("an older schema: %v, want it refused as older, not migrated", err)
	}
	if after := tableCount(t, older, `SELECT COUNT(*) FROM schema_migrations`); after != before {
		t.Errorf("reading it migrated it: %d versions, were %d", after, before)
	}

	newer := newDB("newer.db")
	exec(t, newer, `INSERT INTO schema_migrations (version) VALUES (9999)`)
	if _, _, err := History(ctx, newer); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("a newer schema: %v, want it refused as newer", err)
	}

	other := filepath.Join(dir, "other.db")
	exec(t, other, `CREATE TABLE foo (x INTEGER)`)
	_, _, err = History(ctx, other)
	if err == nil || !strings.Contains(err.Error(), "another program's") || strings.Contains(err.Error(), "migrate") {
		t.Errorf("another program's database: %v, want it named so without 'migrate'", err)
	}
	if n := tableCount(t, other, `SELECT COUNT(*) FROM sqlite_master WHERE name = 'schema_migrations'`); n != 0 {
		t.Error("reading another program's database added semaflow's table to it")
	}

	_, _, err = History(ctx, dir)
	if err == nil || !strings.Contains(err.Error(), "is a directory") || strings.Contains(err.Error(), "d---") {
		t.Errorf("a directory: %v, want it called a directory", err)
	}
}
