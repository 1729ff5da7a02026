package sqlite

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/store"
)

// TestWriteLockAtBegin checks that a write transaction holds the
// database's write lock from its start (BEGIN IMMEDIATE), not from its
// first write: a transaction on another handle, another process's view of
// the file, waits for one that has only read so far. The store's
// concurrency contract relies on it: what a transaction read before its
// lock claim is still current when it decides.
func TestWriteLockAtBegin(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "semaflow.db")
	var dbs [2]*DB
	for i := range dbs {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		dbs[i] = db
	}
	began := make(chan struct{})
	var firstEnd, secondStart time.Time
	var wg sync.WaitGroup
	wg.Go(func() {
		err := dbs[0].Update(ctx, func(tx store.Tx) error {
			if _, err := tx.LoadLocks(ctx); err != nil {
				return err
			}
			close(began)
			time.Sleep(200 * time.Millisecond)
			firstEnd = time.Now()
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	})
	<-began
	err := dbs[1].Update(ctx, func(tx store.Tx) error {
		secondStart = time.Now()
		return tx.PutLockLimit(ctx, "default/Mutex/m", 1)
	})
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if secondStart.Before(firstEnd) {
		t.Fatalf("the second handle's transaction began %v before the first, which had read, ended", firstEnd.Sub(secondStart))
	}
}
