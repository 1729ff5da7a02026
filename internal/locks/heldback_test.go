package locks_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

var mutexRef = spec.LockRef{Key: "default/Mutex/m", Kind: spec.LockMutex, Namespace: "default", IsMutex: true}

// A waiter whose lock has a free permit, held back by an earlier
// waiter's reservation (backfill) or turn (strict), says so after Argo's
// words, naming that waiter only when it is of the same namespace.
func TestWaitingMessageSaysWhatHoldsItBack(t *testing.T) {
	const head = "Waiting for default/ConfigMap/limits/k lock. Lock status: 1/1 (position 2 of 2"
	for _, c := range []struct {
		name   string
		policy lockq.Policy
		by     string // the multi-lock waiter ahead
		want   func(since time.Time) string
	}{
		{"a reservation", lockq.Backfill, "default/x", func(since time.Time) string {
			return ", held back: a permit of default/ConfigMap/limits/k is reserved for default/x, which needs " +
				"default/ConfigMap/limits/k+default/Mutex/m, since " + since.Format(time.TimeOnly)
		}},
		{"another namespace's reservation", lockq.Backfill, "other/x", func(since time.Time) string {
			return ", held back: a permit of default/ConfigMap/limits/k is reserved for a workflow of another namespace, since " +
				since.Format(time.TimeOnly)
		}},
		{"the strict order", lockq.Strict, "default/x", func(time.Time) string {
			return ", held back: under the strict policy nobody passes default/x, which needs " +
				"default/ConfigMap/limits/k+default/Mutex/m"
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			db := testkit.OpenStore(t)
			m := locks.New(lockq.Config{Policy: c.policy, ReserveAfter: 10 * time.Second}, limitCM(1))
			t0 := time.Unix(10_000, 0)
			if _, err := m.Load(ctx, db, t0); err != nil {
				t.Fatal(err)
			}
			at := func(now time.Time, reqs ...locks.Request) *locks.Result {
				t.Helper()
				var res *locks.Result
				if err := db.Update(ctx, func(tx store.Tx) error {
					var err error
					res, err = m.Apply(ctx, tx, reqs, nil, now)
					return err
				}); err != nil {
					t.Fatal(err)
				}
				return res
			}
			at(t0, locks.Request{Holder: "default/h", Locks: []spec.LockRef{mutexRef}, Created: time.Unix(1, 0)})
			at(t0, locks.Request{Holder: c.by, Locks: []spec.LockRef{semRef, mutexRef}, Created: time.Unix(2, 0)})
			// Past ReserveAfter the multi-lock waiter reserves k.
			now := t0.Add(20 * time.Second)
			res := at(now, req("default/y", 0, 3))
			want := head + ")" + c.want(t0.Add(10*time.Second))
			if got := res.Waiting["default/y"]; got != want {
				t.Errorf("stored message\n got %q\nwant %q", got, want)
			}
			got, ok := m.Waiting("default/y", now.Add(5*time.Second))
			if want := head + ", waiting 5s)" + c.want(t0.Add(10*time.Second)) + ", start time unknown (no history yet)"; !ok || got != want {
				t.Errorf("live message\n got %q\nwant %q", got, want)
			}
			// The waiter ahead waits for the limit alone: nothing more said.
			if got, _ := m.Waiting(c.by, now); strings.Contains(got, "held back") {
				t.Errorf("%s: %q", c.by, got)
			}
		})
	}
}
