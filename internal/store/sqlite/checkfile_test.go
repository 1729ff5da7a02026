package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A path that is not a semaflow database is refused before anything
// about it changes: a device, a directory, a file with other content,
// another program's SQLite database, and a database with two names.
func TestOpenRefusesWhatIsNotItsDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("hello, not a database\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, "other.db")
	odb, err := sql.Open("sqlite", foreign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := odb.Exec(`CREATE TABLE customers (id INTEGER)`); err != nil {
		t.Fatal(err)
	}
	_ = odb.Close()
	mine := filepath.Join(dir, "mine.db")
	db, err := Open(ctx, mine)
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	linked := filepath.Join(dir, "linked.db")
	if err := os.Link(mine, linked); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{"/dev/null", "not a regular file"},
		{dir, "is a directory"},
		{text, "not a SQLite database"},
		{foreign, "another program's SQLite database"},
		{mine, "2 hard links"},
		{linked, "2 hard links"},
	} {
		before, _ := os.Stat(c.path)
		db, err := Open(ctx, c.path)
		if err == nil {
			_ = db.Close()
			t.Errorf("%s: opened", c.path)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.path) {
			t.Errorf("%s: %v; want %q naming the path", c.path, err, c.want)
		}
		if after, _ := os.Stat(c.path); c.path != foreign && before.Mode() != after.Mode() {
			t.Errorf("%s: mode changed %v -> %v", c.path, before.Mode(), after.Mode())
		}
	}
	var n int
	odb, _ = sql.Open("sqlite", foreign)
	defer odb.Close()
	if err := odb.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the foreign database has %d tables (%v), want its 1", n, err)
	}
}
