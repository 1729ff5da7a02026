package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/eta"
	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/store"
)

// lockHoldStats covers a hold's template, PutHoldStats and a waiter's
// template: each reads back, a digest is replaced, a new token keeps the
// hold's start and template, and ending the hold ends its record.
func lockHoldStats(t *testing.T, s store.Store) {
	ctx := t.Context()
	const m = "default/Mutex/m"
	since := time.Unix(100, 5)
	update(t, s, func(tx store.Tx) error {
		if err := tx.PutLockLimit(ctx, m, 1); err != nil {
			return err
		}
		if err := tx.PutHold(ctx, "default/a", []domain.Token{{Lock: m, Value: 1}}, store.HoldInfo{Template: "build", Since: since}); err != nil {
			return err
		}
		if err := tx.PutHoldStats(ctx, store.HoldStats{Lock: m, Template: "", Digest: "first"}); err != nil {
			return err
		}
		if err := tx.PutHoldStats(ctx, store.HoldStats{Lock: m, Template: "", Digest: "v1 1 5 5 0:1"}); err != nil {
			return err
		}
		if err := tx.PutHoldStats(ctx, store.HoldStats{Lock: m, Template: "build", Digest: "v1 1 5 5 0:1"}); err != nil {
			return err
		}
		return tx.PutWaiter(ctx, domain.QueuedWaiter{Waiter: domain.Waiter{Holder: "default/b", Locks: []string{m}, Seq: 1},
			Enqueued: since, Template: "test"})
	})
	// A new token (refencing) keeps when the hold began and its template.
	update(t, s, func(tx store.Tx) error {
		return tx.PutHold(ctx, "default/a", []domain.Token{{Lock: m, Value: 2}}, store.HoldInfo{Since: since.Add(time.Hour)})
	})
	st := loadLocks(t, s)
	if got := st.HoldInfo["default/a"]; got.Template != "build" || !got.Since.Equal(since) {
		t.Fatalf("hold info %+v, want template build since %v", got, since)
	}
	want := []store.HoldStats{{Lock: m, Template: "", Digest: "v1 1 5 5 0:1"}, {Lock: m, Template: "build", Digest: "v1 1 5 5 0:1"}}
	if len(st.Stats) != 2 || st.Stats[0] != want[0] || st.Stats[1] != want[1] {
		t.Fatalf("stats %+v, want %+v", st.Stats, want)
	}
	if len(st.Waiters) != 1 || st.Waiters[0].Template != "test" {
		t.Fatalf("waiters %+v, want default/b of template test", st.Waiters)
	}
	update(t, s, func(tx store.Tx) error { return tx.DeleteHold(ctx, "default/a") })
	if st := loadLocks(t, s); len(st.HoldInfo) != 0 || len(st.Stats) != 2 {
		t.Fatalf("after the hold ended: hold info %+v, stats %+v", st.HoldInfo, st.Stats)
	}
}

// holdHistory: the lock manager records each hold's time when it ends,
// in the same transaction, and a manager started later on another handle
// (a restarted engine) estimates from that history and from when the
// current hold began.
func holdHistory(t *testing.T, s1, s2 store.Store) {
	ctx := t.Context()
	mutex := raceLocks[0]
	t0 := time.Unix(10_000, 0)
	m := locks.New(lockq.Config{Policy: lockq.Backfill}, noConfigMaps{})
	_, err := m.Load(ctx, s1, t0)
	must(t, err)
	apply := func(m *locks.Manager, s store.Store, now time.Time, req *locks.Request, release ...string) {
		t.Helper()
		var reqs []locks.Request
		if req != nil {
			reqs = append(reqs, *req)
		}
		update(t, s, func(tx store.Tx) error {
			_, err := m.Apply(ctx, tx, reqs, release, now)
			return err
		})
	}
	// Holds of a minute each, enough for history.
	now := t0
	for i := range eta.MinSamples {
		h := fmt.Sprintf("default/w%d", i)
		apply(m, s1, now, &locks.Request{Holder: h, Locks: []spec.LockRef{mutex}, Created: now, Template: locks.HistoryKey("gen:job-", "job")})
		now = now.Add(time.Minute)
		apply(m, s1, now, nil, h)
	}
	apply(m, s1, now, &locks.Request{Holder: "default/holder", Locks: []spec.LockRef{mutex}, Created: now, Template: locks.HistoryKey("gen:job-", "job")})
	apply(m, s1, now, &locks.Request{Holder: "default/waiter", Locks: []spec.LockRef{mutex}, Created: now, Template: locks.HistoryKey("gen:job-", "job")})
	st := loadLocks(t, s2)
	if len(st.Stats) != 2 {
		t.Fatalf("stored hold stats %+v, want the lock's and the template's", st.Stats)
	}
	// Restarted 20 s into the current hold: 40 s to go.
	later := now.Add(20 * time.Second)
	m2 := locks.New(lockq.Config{Policy: lockq.Backfill}, noConfigMaps{})
	_, err = m2.Load(ctx, s2, later)
	must(t, err)
	got, ok := m2.Estimate("default/waiter", later)
	if !ok || !got.Known || got.P50.Sub(later) != 40*time.Second || got.P90.Sub(later) != 40*time.Second {
		t.Fatalf("estimate after a restart %+v (ok %v), want known, 40s and 40s", got, ok)
	}
}
