package lockq

import (
	"fmt"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/semaflow/semaflow/internal/domain"
)

// The detector's shortcut: a state none of whose waiters runs under a
// holder has no cycle. These tests compare it with the whole graph's
// answer on random states, many of which are deadlocked.

var deadlockLocks = []LockState{{Key: "ns/Mutex/a", Limit: 1}, {Key: "ns/Mutex/b", Limit: 1}, {Key: "ns/ConfigMap/cm/s", Limit: 2}}

// drawHolderID is a workflow's holder or one of its nodes'.
func drawHolderID(t *rapid.T, label string) string {
	wf := rapid.IntRange(0, 3).Draw(t, label+"wf")
	if rapid.Bool().Draw(t, label+"node") {
		return fmt.Sprintf("ns/w%d/n%d", wf, rapid.IntRange(0, 3).Draw(t, label+"n"))
	}
	return fmt.Sprintf("ns/w%d", wf)
}

func TestShortcutNeverHidesACycle(t *testing.T) {
	var cycles, skipped atomic.Int64
	keys := []string{deadlockLocks[0].Key, deadlockLocks[1].Key, deadlockLocks[2].Key}
	rapid.Check(t, func(t *rapid.T) {
		st := State{Locks: deadlockLocks}
		used := map[string]bool{}
		for i := range rapid.IntRange(0, 5).Draw(t, "holders") {
			id := drawHolderID(t, fmt.Sprint("h", i))
			if used[id] {
				continue
			}
			used[id] = true
			g := domain.Grant{Holder: id}
			for _, l := range rapid.SliceOfNDistinct(rapid.SampledFrom(keys), 0, 2, rapid.ID[string]).Draw(t, "held") {
				g.Tokens = append(g.Tokens, domain.Token{Lock: l, Value: 1})
			}
			st.Holders = append(st.Holders, g)
		}
		var holders []string
		for _, h := range st.Holders {
			holders = append(holders, h.Holder)
		}
		for i := range rapid.IntRange(0, 6).Draw(t, "waiters") {
			id := drawHolderID(t, fmt.Sprint("w", i))
			if used[id] {
				continue
			}
			used[id] = true
			w := domain.QueuedWaiter{Waiter: domain.Waiter{Holder: id, Seq: uint64(i + 1),
				Locks:   rapid.SliceOfNDistinct(rapid.SampledFrom(keys), 1, 2, rapid.ID[string]).Draw(t, "locks"),
				Created: t0.Add(time.Duration(rapid.IntRange(0, 3).Draw(t, "age")) * time.Second)}}
			if len(holders) > 0 && rapid.IntRange(0, 2).Draw(t, "under") == 0 {
				w.Under = []string{rapid.SampledFrom(holders).Draw(t, "above")}
			}
			st.Waiters = append(st.Waiters, w)
		}
		got, err := FindDeadlocks(st, nil, 1000)
		if err != nil {
			t.Fatal(err)
		}
		want := findDeadlocks(st, nil)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("with the shortcut %+v, over the whole graph %+v", got, want)
		}
		if len(want) > 0 {
			cycles.Add(1)
		}
		if !slices.ContainsFunc(st.Waiters, func(w domain.QueuedWaiter) bool { return runsUnder(&w.Waiter) }) {
			skipped.Add(1)
		}
	})
	// Neither side may be empty, or the comparison proved nothing.
	if cycles.Load() == 0 || skipped.Load() == 0 {
		t.Fatalf("the generator made %d deadlocked states and %d the shortcut answers: both must be some", cycles.Load(), skipped.Load())
	}
}

// MayDeadlock's count follows waiters through every operation: false
// only when no waiter runs under a holder, and then the whole graph has
// no cycle.
func TestMayDeadlockFollowsTheQueue(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := Config{Policy: rapid.SampledFrom([]Policy{Backfill, Strict}).Draw(t, "policy"), ReserveAfter: time.Second}
		q := New(cfg)
		now := t0
		var keys []string
		for _, l := range deadlockLocks {
			keys = append(keys, l.Key)
			if _, err := q.SetLimit(l.Key, l.Limit, now); err != nil {
				t.Fatal(err)
			}
		}
		for i := range rapid.IntRange(1, 80).Draw(t, "steps") {
			now = now.Add(time.Duration(rapid.IntRange(0, 1500).Draw(t, "dt")) * time.Millisecond)
			switch rapid.IntRange(0, 5).Draw(t, "op") {
			case 0, 1, 2:
				w := domain.Waiter{Holder: drawHolderID(t, "id"), Created: t0,
					Locks: rapid.SliceOfNDistinct(rapid.SampledFrom(keys), 1, 2, rapid.ID[string]).Draw(t, "locks")}
				if rapid.IntRange(0, 2).Draw(t, "under") == 0 {
					w.Under = []string{drawHolderID(t, "above")}
				}
				_, _ = q.Add(w, now)
			case 3:
				q.Cancel(drawHolderID(t, "cancel"), now)
			case 4:
				q.Release(drawHolderID(t, "release"), now)
			case 5:
				if _, err := q.SetLimit(rapid.SampledFrom(keys).Draw(t, "lock"), rapid.IntRange(0, 2).Draw(t, "limit"), now); err != nil {
					t.Fatal(err)
				}
			}
			if rapid.IntRange(0, 9).Draw(t, "restore") == 0 {
				q2, _, err := Restore(cfg, q.State(), now)
				if err != nil {
					t.Fatal(err)
				}
				q = q2
			}
			st := q.State()
			want := slices.ContainsFunc(st.Waiters, func(w domain.QueuedWaiter) bool { return runsUnder(&w.Waiter) })
			if got := q.MayDeadlock(); got != want {
				t.Fatalf("step %d: MayDeadlock %v, a waiter runs under a holder %v (waiters %+v)", i, got, want, st.Waiters)
			}
			if !want {
				if found := findDeadlocks(st, nil); len(found) > 0 {
					t.Fatalf("step %d: MayDeadlock false, yet the graph has cycles %+v", i, found)
				}
			}
		}
	})
}
