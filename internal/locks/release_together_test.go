package locks_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/store/sqlite"
)

// One Apply that releases a holder and then the waiter that release just
// granted (a stop fails both in one round) leaves no hold row behind and
// reports no grant to the released waiter: the hold row would become a
// real hold at the next start, and the lock stay taken forever (hostile
// finding).
func TestReleaseHolderAndItsGranteeTogether(t *testing.T) {
	for _, reversed := range []bool{false, true} {
		releaseTogether(t, reversed)
	}
}

func releaseTogether(t *testing.T, reversed bool) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	m := locks.New(lockq.Config{}, limitCM(1))
	if _, err := m.Load(ctx, db, time.Unix(1000, 0)); err != nil {
		t.Fatal(err)
	}
	apply(t, db, m, []locks.Request{req("default/w/a", 0, 1), req("default/w/b", 0, 2)}, nil)
	// The waiter first, then the holder: nothing is granted either way.
	order := []string{"default/w/a", "default/w/b"}
	if reversed {
		order = []string{"default/w/b", "default/w/a"}
	}
	res := apply(t, db, m, nil, order)
	if len(res.Grants) != 0 {
		t.Fatalf("grants returned by releasing both: %v, want none", holders(res.Grants))
	}
	var st *store.LockState
	if err := db.View(ctx, func(tx store.Tx) error { var e error; st, e = tx.LoadLocks(ctx); return e }); err != nil {
		t.Fatal(err)
	}
	if len(st.Holds) != 0 {
		t.Fatalf("holds in the store after releasing everything: %v", st.Holds)
	}
	// A fresh manager loaded from the store sees the lock free.
	m2 := locks.New(lockq.Config{}, limitCM(1))
	if _, err := m2.Load(ctx, db, time.Unix(1001, 0)); err != nil {
		t.Fatal(err)
	}
	if res := apply(t, db, m2, []locks.Request{req("default/w/c", 0, 3)}, nil); len(res.Grants) != 1 {
		t.Fatalf("a new request after a restart: grants %v, want it granted", holders(res.Grants))
	}
}
