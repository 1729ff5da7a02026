package locks_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/eta"
	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

// Digests stored under the old keys (a bare template name, which
// unrelated workflows shared) are not read back, nor counted against the
// per-lock bound: a lock whose old keys filled it still gets a digest per
// pipeline template.
func TestLegacyHistoryKeysFreeTheBound(t *testing.T) {
	ctx := context.Background()
	db := testkit.OpenStore(t)
	if err := db.Update(ctx, func(tx store.Tx) error {
		for i := range 40 {
			if err := tx.PutHoldStats(ctx, store.HoldStats{Lock: semRef.Key, Template: fmt.Sprintf("t%d", i), Digest: "v1 1 1000000000 1000000000 70:1"}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	m := locks.New(lockq.Config{Policy: lockq.Backfill}, limitCM(1))
	t0 := time.Unix(10_000, 0)
	if _, err := m.Load(ctx, db, t0); err != nil {
		t.Fatal(err)
	}
	r := req("default/a", 0, 1)
	r.Template = "gen:a-|main"
	for i, step := range []struct {
		reqs []locks.Request
		rel  []string
	}{{reqs: []locks.Request{r}}, {rel: []string{"default/a"}}} {
		if err := db.Update(ctx, func(tx store.Tx) error {
			_, err := m.Apply(ctx, tx, step.reqs, step.rel, t0.Add(time.Duration(i)*time.Second))
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	st := loadState(t, db)
	if !slices.ContainsFunc(st.Stats, func(s store.HoldStats) bool { return s.Template == r.Template }) {
		t.Fatalf("no digest for %s beside 40 old keys", r.Template)
	}
}

func loadState(t *testing.T, db store.Store) *store.LockState {
	t.Helper()
	ctx := context.Background()
	var st *store.LockState
	if err := db.View(ctx, func(tx store.Tx) error {
		var err error
		st, err = tx.LoadLocks(ctx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return st
}

// A holder that outlasts every recorded hold makes its waiters' messages
// say so rather than "starts in ~0s": from the live queues and from the
// stored state alike; a holder of another namespace is not named.
func TestWaitingMessageOverdue(t *testing.T) {
	ctx := context.Background()
	db := testkit.OpenStore(t)
	m := locks.New(lockq.Config{Policy: lockq.Backfill}, limitCM(1))
	now := time.Unix(10_000, 0)
	if _, err := m.Load(ctx, db, now); err != nil {
		t.Fatal(err)
	}
	at := func(reqs []locks.Request, rel ...string) {
		t.Helper()
		if err := db.Update(ctx, func(tx store.Tx) error {
			_, err := m.Apply(ctx, tx, reqs, rel, now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range eta.MinSamples {
		h := fmt.Sprintf("default/s%d", i)
		at([]locks.Request{req(h, 0, 1)})
		now = now.Add(200 * time.Millisecond)
		at(nil, h)
	}
	at([]locks.Request{req("default/long", 0, 2)})
	at([]locks.Request{req("default/w1", 0, 3), req("team-b/w2", 0, 4)})
	now = now.Add(16 * time.Second)
	const head = "Waiting for default/ConfigMap/limits/k lock. Lock status: 0/1 "
	for h, want := range map[string]string{
		"default/w1": head + "(position 1 of 2, waiting 16s), starts when default/long releases (overdue: held 16s, 90% of holds end by 200ms)",
		"team-b/w2":  head + "(position 2 of 2, waiting 16s), starts after a workflow of another namespace releases (overdue: held 16s, 90% of holds end by 200ms)",
	} {
		if got, _ := m.Waiting(h, now); got != want {
			t.Errorf("%s:\n got %q\nwant %q", h, got, want)
		}
	}
	v := locks.Views(loadState(t, db), semRef.Key, now)
	if s := v[0].Starts["default/w1"]; s.Known || s.Overdue == nil || s.Text != "starts when default/long releases (overdue: held 16s, 90% of holds end by 200ms)" {
		t.Errorf("view of w1: %+v", s)
	}
	if r := v[0].Holding[0].Release; r == nil || r.Known || r.Text != "overdue (held 16s, 90% of holds end by 200ms)" {
		t.Errorf("view of the holder: %+v", r)
	}
}
