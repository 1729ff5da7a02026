package locks_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/eta"
	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

// The live waiting message says when the waiter is expected to start:
// unknown before eta.MinSamples holds ended, then from their times and the
// holder's elapsed time; a template's holds count for it.
func TestWaitingMessageHasTheEstimate(t *testing.T) {
	ctx := context.Background()
	db := testkit.OpenStore(t)
	m := locks.New(lockq.Config{Policy: lockq.Backfill}, limitCM(1))
	t0 := time.Unix(10_000, 0)
	if _, err := m.Load(ctx, db, t0); err != nil {
		t.Fatal(err)
	}
	at := func(now time.Time, reqs []locks.Request, rel ...string) {
		t.Helper()
		if err := db.Update(ctx, func(tx store.Tx) error {
			_, err := m.Apply(ctx, tx, reqs, rel, now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	const lock = "Waiting for default/ConfigMap/limits/k lock. Lock status: 0/1 "
	now := t0
	for i := range eta.MinSamples {
		h := fmt.Sprintf("default/h%d", i)
		r := req(h, 0, 1)
		r.Template = "slow"
		at(now, []locks.Request{r})
		if i == eta.MinSamples-1 {
			at(now, []locks.Request{req("default/w", 0, 2)})
			if msg, _ := m.Waiting("default/w", now); msg != lock+"(position 1 of 1), start time unknown (no history yet)" {
				t.Fatalf("with one hold too few recorded: %q", msg)
			}
		}
		now = now.Add(2 * time.Minute)
		if i < eta.MinSamples-1 {
			at(now, nil, h)
		}
	}
	// The last hold ends after 2m, like those before it: w takes the
	// lock, and x, waiting behind it 30s later, has history.
	at(now, nil, fmt.Sprintf("default/h%d", eta.MinSamples-1))
	r := req("default/x", 0, 3)
	at(now, []locks.Request{r})
	later := now.Add(30 * time.Second)
	if msg, _ := m.Waiting("default/x", later); msg != lock+"(position 1 of 1, waiting 30s), starts in ~1m30s (90%: 1m30s)" {
		t.Fatalf("after holds of 2m, 30s into the current one: %q", msg)
	}
	// The sync API's views say the same from the stored state alone.
	var st *store.LockState
	if err := db.View(ctx, func(tx store.Tx) error {
		var err error
		st, err = tx.LoadLocks(ctx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	views := locks.Views(st, semRef.Key, later)
	if len(views) != 1 || views[0].Starts["default/x"].Text != "starts in ~1m30s (90%: 1m30s)" ||
		views[0].HoldTimes == nil || views[0].HoldTimes.Samples != eta.MinSamples || views[0].HoldTimes.P90Seconds != 120 {
		t.Fatalf("views %+v", views)
	}
}
