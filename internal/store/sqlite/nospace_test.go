package sqlite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semaflow/semaflow/internal/store"
)

// A write the database has no room for fails with store.ErrNoSpace,
// naming the database, so callers (the API's 507) need not read SQLite's
// messages. max_page_count makes SQLite answer as on a full disk.
func TestFullDatabaseIsErrNoSpace(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "full.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var pages int
	if err := db.db.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := db.db.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages)); err != nil {
		t.Fatal(err)
	}
	o := store.Object{Kind: "ConfigMap", Namespace: "default", Name: "big", Doc: bytes.Repeat([]byte("x"), 1<<20)}
	err = db.Update(ctx, func(tx store.Tx) error { return tx.PutObject(ctx, o) })
	if !errors.Is(err, store.ErrNoSpace) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "the disk is full") {
		t.Fatalf("write to a full database: %v; want store.ErrNoSpace saying the disk is full, naming %s", err, path)
	}
}
