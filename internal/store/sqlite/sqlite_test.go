package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/store/storetest"
)

// TestConformance runs the store conformance suite on SQLite: each check
// gets a file of its own, and a second handle on it is another *DB, as a
// second engine process would open it.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (store.Store, func(t *testing.T) store.Store) {
		path := filepath.Join(t.TempDir(), "semaflow.db")
		open := func(t *testing.T) store.Store {
			db, err := Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = db.Close() })
			return db
		}
		return open(t), open
	})
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "semaflow.db")
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	o := store.Object{Kind: "ConfigMap", Namespace: "default", Name: "limits", Doc: []byte(`{}`)}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.PutObject(ctx, o) }); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen (migrations must be idempotent): %v", err)
	}
	defer db.Close()
	if err := db.View(ctx, func(tx store.Tx) error {
		_, err := tx.GetObject(ctx, o.Key())
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
