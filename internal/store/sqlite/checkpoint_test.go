package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Commits append to the WAL only; the checkpointer, not the writer's
// commit, copies it into the database file, soon after.
func TestCheckpointsRunOffTheWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "semaflow.db")
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	size := func() int64 {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	// Well under the writer's own threshold: only the checkpointer can
	// have moved these pages into the file.
	const rows, rowBytes = 300, 8 << 10
	if rows*rowBytes/4096 >= writerCheckpointPages/2 {
		t.Fatal("the test's writes would reach the writer's autocheckpoint")
	}
	if _, err := db.db.ExecContext(ctx, `CREATE TABLE filler (b BLOB)`); err != nil {
		t.Fatal(err)
	}
	before := size()
	for range rows {
		if _, err := db.db.ExecContext(ctx, `INSERT INTO filler VALUES (?)`, strings.Repeat("x", rowBytes)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for size() < before+rows*rowBytes/2 {
		if time.Now().After(deadline) {
			t.Fatalf("the database file is %d bytes (%d before %d KiB of rows): the WAL was not checkpointed", size(), before, rows*rowBytes>>10)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Close stops the checkpointer: no goroutine outlives the handle.
func TestCloseStopsTheCheckpointer(t *testing.T) {
	count := func() int {
		buf := make([]byte, 1<<20)
		return strings.Count(string(buf[:runtime.Stack(buf, true)]), "(*checkpointer).run(")
	}
	// A goroutine just started, or just ended, may be missing from, or
	// still in, the dump for a moment.
	await := func(ok func(int) bool) int {
		n := count()
		for deadline := time.Now().Add(2 * time.Second); !ok(n) && time.Now().Before(deadline); n = count() {
			time.Sleep(5 * time.Millisecond)
		}
		return n
	}
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "semaflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	if n := await(func(n int) bool { return n == 1 }); n != 1 {
		t.Fatalf("%d checkpointers running with the handle open, want 1", n)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if n := await(func(n int) bool { return n == 0 }); n != 0 {
		t.Fatalf("%d checkpointers still running after Close", n)
	}
	_ = db.Close() // a second Close does not panic
}

// The writer's WAL is cut back to walKeepBytes when it starts over.
func TestWALSizeIsLimited(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "semaflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var limit int
	if err := db.db.QueryRowContext(context.Background(), `PRAGMA journal_size_limit`).Scan(&limit); err != nil {
		t.Fatal(err)
	}
	if limit != walKeepBytes {
		t.Fatalf("journal_size_limit is %d, want %d", limit, walKeepBytes)
	}
}
