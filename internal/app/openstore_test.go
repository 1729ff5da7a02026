package app

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// Reading another program's SQLite file (explain, simulate, sync list
// --db) is refused naming the file, without speaking of a migration
// nobody asked for (hostile 19, LOW).
func TestOpenStoreRefusesAnotherProgramsFileWithoutMigrate(t *testing.T) {
	other := filepath.Join(t.TempDir(), "other.db")
	odb, err := sql.Open("sqlite", other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := odb.Exec(`CREATE TABLE customers (id INTEGER)`); err != nil {
		t.Fatal(err)
	}
	_ = odb.Close()
	s, err := OpenStore(context.Background(), other, false)
	if err == nil {
		_ = s.Close()
		t.Fatal("opened")
	}
	if !strings.Contains(err.Error(), other) || !strings.Contains(err.Error(), "another program's") || strings.Contains(err.Error(), "migrate") {
		t.Fatalf("%v; want the file named, without 'migrate'", err)
	}
}
