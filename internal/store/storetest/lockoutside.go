package storetest

import (
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/store"
)

// outsideWrite checks that lock state written by a transaction outside any
// manager (as `sync set --db` writes a limit) is seen by the manager's next
// operation, which grants the waiters the new limit lets in.
func outsideWrite(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := locks.New(lockq.Config{Policy: lockq.Backfill}, noConfigMaps{})
	_, err := m.Load(ctx, s, time.Now())
	must(t, err)
	sem, mutex := raceLocks[2], raceLocks[0]
	apply := func(reqs ...locks.Request) *locks.Result {
		t.Helper()
		var res *locks.Result
		update(t, s, func(tx store.Tx) error {
			var err error
			res, err = m.Apply(ctx, tx, reqs, nil, time.Now())
			return err
		})
		return res
	}
	update(t, s, func(tx store.Tx) error {
		_, err := m.SetLimit(ctx, tx, sem.Key, 1, time.Now())
		return err
	})
	apply(locks.Request{Holder: "default/a", Locks: []spec.LockRef{sem}, Created: time.Unix(1, 0)})
	if res := apply(locks.Request{Holder: "default/b", Locks: []spec.LockRef{sem}, Created: time.Unix(2, 0)}); len(res.Grants) != 0 {
		t.Fatalf("b granted %+v beside a at limit 1", res.Grants)
	}
	update(t, s, func(tx store.Tx) error { return tx.PutLockLimit(ctx, sem.Key, 2) })
	res := apply(locks.Request{Holder: "default/c", Locks: []spec.LockRef{mutex}, Created: time.Unix(3, 0)})
	granted := map[string]uint64{}
	for _, g := range res.Grants {
		granted[g.Holder], _ = g.Token(sem.Key)
	}
	if tok, ok := granted["default/b"]; !ok || tok != 2 {
		t.Fatalf("after the limit was raised to 2 in the store, the next operation granted %+v, want b with token 2", res.Grants)
	}
}
