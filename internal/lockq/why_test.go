package lockq

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/semaflow/semaflow/internal/domain"
)

const (
	db  = "default/Mutex/db"
	gpu = "default/ConfigMap/limits/gpu"
	par = "semaflow/Engine/parallelism"
)

// noon is 12:00:00; the table's times are seconds after it.
var noon = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return noon.Add(time.Duration(sec) * time.Second) }

func qw(id string, prio int32, created, seq, enq int, locks ...string) domain.QueuedWaiter {
	return domain.QueuedWaiter{Waiter: domain.Waiter{Holder: id, Locks: locks, Priority: prio, Created: at(created), Seq: uint64(seq)}, Enqueued: at(enq)}
}

// uw sets the holders a waiter runs under.
func uw(w domain.QueuedWaiter, under ...string) domain.QueuedWaiter {
	w.Under = under
	return w
}

func hold(id string, toks ...any) domain.Grant {
	g := domain.Grant{Holder: id}
	for i := 0; i+1 < len(toks); i += 2 {
		g.Tokens = append(g.Tokens, domain.Token{Lock: toks[i].(string), Value: uint64(toks[i+1].(int))})
	}
	return g
}

func TestExplainSentences(t *testing.T) {
	cases := []struct {
		name   string
		policy Policy
		st     State
		id     string
		now    int
		since  map[string]time.Time
		want   string
	}{
		{"behind a higher priority, only the limit", Backfill, State{
			Locks:   []LockState{{Key: db, Limit: 1, Fence: 3}},
			Holders: []domain.Grant{hold("default/wf-a/wf-a-1", db, 3)},
			Waiters: []domain.QueuedWaiter{qw("default/wf-low", 0, 0, 1, 10, db), qw("default/wf-high", 10, 5, 2, 20, db)},
		}, "default/wf-low", 70, map[string]time.Time{"default/wf-a/wf-a-1": at(5)}, `
default/wf-low (priority 0) has waited 1m0s for 1 lock.
default/Mutex/db: position 2 of 2; 1 of 1 permit held.
  Held by node wf-a-1 of workflow default/wf-a, token 3, since 12:00:05 (1m5s ago).
  Ahead of it: default/wf-high, for its higher priority (10 > 0).
  default/Mutex/db has no free permit: 1 of 1 held.
Nothing but the limit of default/Mutex/db holds it back.`},
		{"same priority: creation time, then queue order", Strict, State{
			Locks:   []LockState{{Key: db, Limit: 1, Fence: 1}},
			Holders: []domain.Grant{hold("default/h", db, 1)},
			Waiters: []domain.QueuedWaiter{qw("default/c", 0, 3, 1, 3, db), qw("default/a", 0, 1, 2, 4, db), qw("default/b", 0, 3, 3, 5, db)},
		}, "default/b", 5, nil, `
default/b (priority 0) has waited 0s for 1 lock.
default/Mutex/db: position 3 of 3; 1 of 1 permit held.
  Held by workflow default/h, token 1.
  Ahead of it: default/a, for its same priority 0, created earlier (12:00:01 < 12:00:03).
  Ahead of it: default/c, for its same priority 0 and creation time, queued earlier.
  default/Mutex/db has no free permit: 1 of 1 held.
  Under the strict policy nobody passes default/a, which needs default/Mutex/db and cannot be granted yet.
It cannot start before default/a is granted.`},
		{"a reservation holds a free permit back", Backfill, State{
			Locks:   []LockState{{Key: db, Limit: 1}, {Key: gpu, Limit: 2, Fence: 2}},
			Holders: []domain.Grant{hold("default/g1", gpu, 1), hold("default/g2", gpu, 2)},
			Waiters: []domain.QueuedWaiter{qw("default/wf-x", 0, 0, 1, 0, db, gpu), qw("default/wf-y", 0, 1, 2, 40, db)},
		}, "default/wf-y", 200, nil, `
default/wf-y (priority 0) has waited 2m40s for 1 lock.
default/Mutex/db: position 2 of 2; 0 of 1 permit held.
  Nobody holds it.
  Ahead of it: default/wf-x, for its same priority 0, created earlier (12:00:00 < 12:00:01); it reserves its locks.
  A permit of default/Mutex/db is reserved for default/wf-x, which needs default/Mutex/db+default/ConfigMap/limits/gpu, since 12:00:30.
It cannot start before default/wf-x is granted.`},
		{"before reserveAfter, backfill lets it pass", Backfill, State{
			Locks:   []LockState{{Key: db, Limit: 1}, {Key: gpu, Limit: 1, Fence: 1}},
			Holders: []domain.Grant{hold("default/g1", gpu, 1)},
			Waiters: []domain.QueuedWaiter{qw("default/wf-x", 0, 0, 1, 0, db, gpu), qw("default/wf-y", 0, 1, 2, 10, db)},
		}, "default/wf-y", 20, nil, `
default/wf-y (priority 0) has waited 10s for 1 lock.
default/Mutex/db: position 2 of 2; 0 of 1 permit held.
  Nobody holds it.
  Ahead of it: default/wf-x, for its same priority 0, created earlier (12:00:00 < 12:00:01).
  default/Mutex/db does not hold it back: a permit is free for it.
Nothing holds it back: the grant rule grants it now.`},
		{"the multi-lock waiter itself, short of one lock", Backfill, State{
			Locks:   []LockState{{Key: db, Limit: 1}, {Key: gpu, Limit: 1, Fence: 4}},
			Holders: []domain.Grant{hold("default/g1", gpu, 4)},
			Waiters: []domain.QueuedWaiter{qw("default/wf-x", 0, 0, 1, 0, db, gpu)},
		}, "default/wf-x", 45, nil, `
default/wf-x (priority 0) has waited 45s for 2 locks.
default/Mutex/db: position 1 of 1; 0 of 1 permit held.
  Nobody holds it.
  default/Mutex/db does not hold it back: a permit is free for it.
default/ConfigMap/limits/gpu: position 1 of 1; 1 of 1 permit held.
  Held by workflow default/g1, token 4.
  default/ConfigMap/limits/gpu has no free permit: 1 of 1 held.
Nothing but the limit of default/ConfigMap/limits/gpu holds it back.`},
		{"a paused lock and an engine throttle", Backfill, State{
			Locks:   []LockState{{Key: db, Limit: 0}, {Key: par, Limit: 2, Fence: 2}},
			Holders: []domain.Grant{hold("default/r1", par, 1), hold("default/r2", par, 2)},
			Waiters: []domain.QueuedWaiter{qw("default/w", 0, 0, 1, 0, db, par)},
		}, "default/w", 5, nil, `
default/w (priority 0) has waited 5s for 2 locks.
default/Mutex/db: position 1 of 1; 0 of 0 permits held.
  Nobody holds it.
  default/Mutex/db is paused: its limit is 0.
semaflow/Engine/parallelism (the engine's --parallelism): position 1 of 1; 2 of 2 permits held.
  Held by workflow default/r1, token 1.
  Held by workflow default/r2, token 2.
  semaflow/Engine/parallelism has no free permit: 2 of 2 held.
Nothing but the limits of default/Mutex/db and semaflow/Engine/parallelism hold it back.`},
		{"a state read half-way: a waiter ahead takes the last permit", Backfill, State{
			Locks:   []LockState{{Key: gpu, Limit: 2, Fence: 1}},
			Holders: []domain.Grant{hold("default/g1", gpu, 1)},
			Waiters: []domain.QueuedWaiter{qw("default/a", 1, 0, 1, 0, gpu), qw("default/b", 0, 0, 2, 0, gpu)},
		}, "default/b", 1, nil, `
default/b (priority 0) has waited 1s for 1 lock.
default/ConfigMap/limits/gpu: position 2 of 2; 1 of 2 permits held.
  Held by workflow default/g1, token 1.
  Ahead of it: default/a, for its higher priority (1 > 0); it is granted first.
  default/ConfigMap/limits/gpu has no free permit: 1 of 2 held, and the rest go to default/a, ahead of it.
Nothing but the limit of default/ConfigMap/limits/gpu holds it back.`},
		{"a holder that itself waits for what this waiter runs under", Backfill, State{
			Locks:   []LockState{{Key: gpu, Limit: 1, Fence: 2}, {Key: db, Limit: 1, Fence: 1}},
			Holders: []domain.Grant{hold("default/wf1/m1", gpu, 2), hold("default/wf2/m2", db, 1)},
			Waiters: []domain.QueuedWaiter{uw(qw("default/wf1/t1", 0, 0, 1, 0, db), "default/wf1/m1"), uw(qw("default/wf2/t2", 0, 1, 2, 0, gpu), "default/wf2/m2")},
		}, "default/wf2/t2", 5, nil, `
default/wf2/t2 (priority 0) has waited 5s for 1 lock.
default/ConfigMap/limits/gpu: position 1 of 1; 1 of 1 permit held.
  Held by node m1 of workflow default/wf1, token 2; it waits itself, through default/wf1/t1, for default/Mutex/db, held by default/wf2/m2, which this waiter runs under: neither can go on (a deadlock, unless another holder releases).
  default/ConfigMap/limits/gpu has no free permit: 1 of 1 held.
Nothing but the limit of default/ConfigMap/limits/gpu holds it back.`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			why, err := Explain(Config{Policy: c.policy}, c.st, c.id, at(c.now), c.since)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.TrimSpace(why.Text(at(c.now)))
			if want := strings.TrimSpace(c.want); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestExplainErrors(t *testing.T) {
	st := State{Locks: []LockState{{Key: db, Limit: 1}}, Waiters: []domain.QueuedWaiter{qw("default/w", 0, 0, 1, 0, db, gpu)}}
	if _, err := Explain(Config{}, st, "default/other", noon, nil); !errors.Is(err, ErrNotWaiting) || !strings.Contains(err.Error(), "default/other") {
		t.Errorf("unknown waiter: %v", err)
	}
	if _, err := Explain(Config{}, st, "default/w", noon, nil); !errors.Is(err, ErrUnknownLock) || !strings.Contains(err.Error(), gpu) {
		t.Errorf("unknown lock: %v", err)
	}
}

// TestExplainMatchesGrantRule: over random states, not necessarily
// fixpoints, Explain finds no reason for exactly the waiters that the
// real Queue grants when rebuilt from that state at that time.
func TestExplainMatchesGrantRule(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		policy := Policy(rapid.IntRange(0, 1).Draw(t, "policy"))
		cfg := Config{Policy: policy, ReserveAfter: 10 * time.Second}
		locks := []string{"ns/Mutex/a", "ns/Mutex/b", "ns/Mutex/c", "ns/Mutex/d"}
		st := State{}
		for _, k := range locks {
			st.Locks = append(st.Locks, LockState{Key: k, Limit: rapid.IntRange(0, 3).Draw(t, "limit"), Fence: 100})
		}
		nh := rapid.IntRange(0, 5).Draw(t, "holders")
		for i := range nh {
			ls := rapid.SliceOfNDistinct(rapid.SampledFrom(locks), 1, 2, rapid.ID[string]).Draw(t, "held")
			g := domain.Grant{Holder: fmt.Sprintf("ns/h%d", i)}
			for j, l := range ls {
				g.Tokens = append(g.Tokens, domain.Token{Lock: l, Value: uint64(1 + i*2 + j)})
			}
			st.Holders = append(st.Holders, g)
		}
		nw := rapid.IntRange(1, 8).Draw(t, "waiters")
		for i := range nw {
			st.Waiters = append(st.Waiters, domain.QueuedWaiter{
				Waiter: domain.Waiter{Holder: fmt.Sprintf("ns/w%d", i),
					Locks:    rapid.SliceOfNDistinct(rapid.SampledFrom(locks), 1, 3, rapid.ID[string]).Draw(t, "locks"),
					Priority: int32(rapid.IntRange(0, 2).Draw(t, "prio")),
					Created:  noon.Add(time.Duration(rapid.IntRange(0, 3).Draw(t, "created")) * time.Second),
					Seq:      uint64(i + 1)},
				Enqueued: noon.Add(time.Duration(rapid.IntRange(0, 30).Draw(t, "enq")) * time.Second),
			})
		}
		now := noon.Add(time.Duration(rapid.IntRange(0, 45).Draw(t, "now")) * time.Second)
		q, grants, err := Restore(cfg, st, now)
		if err != nil {
			t.Fatal(err)
		}
		// After the walk the queue is a fixpoint: nobody is grantable, and
		// positions are the queue's own.
		for _, w := range q.State().Waiters {
			why, err := q.Explain(w.Holder, now, nil)
			if err != nil || why.Grantable {
				t.Fatalf("%s after the walk: grantable %v, %v", w.Holder, why.Grantable, err)
			}
			for i, p := range q.Position(w.Holder) {
				if lw := why.Locks[i]; lw.Lock != p.Lock || lw.Position != p.Position || lw.Length != p.Length {
					t.Fatalf("%s: Explain says %s position %d of %d, the queue %s %d of %d", w.Holder, lw.Lock, lw.Position, lw.Length, p.Lock, p.Position, p.Length)
				}
			}
			// HeldBack, read from the queue's indexes, gives the reasons
			// that are another waiter's doing exactly as Explain does.
			var want []Reason
			for _, lw := range why.Locks {
				for _, r := range lw.Reasons {
					if r.Kind == ReasonReserved || r.Kind == ReasonStrictOrder {
						want = append(want, r)
					}
				}
			}
			if got := q.HeldBack(w.Holder); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s: HeldBack %+v, Explain %+v", w.Holder, got, want)
			}
		}
		granted := map[string]bool{}
		for _, g := range grants {
			granted[g.Holder] = true
		}
		for _, w := range st.Waiters {
			why, err := Explain(cfg, st, w.Holder, now, nil)
			if err != nil {
				t.Fatal(err)
			}
			reasons := 0
			for _, lw := range why.Locks {
				reasons += len(lw.Reasons)
			}
			if granted[w.Holder] != why.Grantable || why.Grantable != (reasons == 0) {
				t.Fatalf("%s: the grant rule grants it: %v; Explain says grantable %v with %d reasons:\n%s",
					w.Holder, granted[w.Holder], why.Grantable, reasons, why.Text(now))
			}
			if why.LimitOnly && reasons == 0 {
				t.Fatalf("%s: limit-only without a reason", w.Holder)
			}
		}
	})
}
