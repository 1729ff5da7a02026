package lockq

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/semaflow/semaflow/internal/domain"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// copyGrants detaches grants from the queue's reused buffers.
func copyGrants(gs []domain.Grant) []domain.Grant {
	if len(gs) == 0 {
		return nil
	}
	out := make([]domain.Grant, len(gs))
	for i, g := range gs {
		out[i] = domain.Grant{Holder: g.Holder, Tokens: append([]domain.Token(nil), g.Tokens...)}
	}
	return out
}

type harness struct {
	t       *rapid.T
	cfg     Config
	q       *Queue
	m       *model
	now     time.Time
	locks   []string
	ids     []string
	lastTok map[string]uint64
}

func (h *harness) compare(op string, got, want []domain.Grant) {
	got = copyGrants(got)
	if len(want) == 0 {
		want = nil
	}
	if !reflect.DeepEqual(got, want) {
		h.t.Fatalf("%s: queue granted %v, model granted %v", op, got, want)
	}
	for _, g := range got {
		for _, tk := range g.Tokens {
			if tk.Value <= h.lastTok[tk.Lock] {
				h.t.Fatalf("%s: fencing token of %s went from %d to %d", op, tk.Lock, h.lastTok[tk.Lock], tk.Value)
			}
			h.lastTok[tk.Lock] = tk.Value
			if l := h.q.locks[tk.Lock]; len(l.held) > l.limit {
				h.t.Fatalf("%s: granted %s beyond its limit: %d holders, limit %d", op, tk.Lock, len(l.held), l.limit)
			}
		}
	}
}

func (h *harness) checkInvariants() {
	st := h.q.State()
	holding := map[string]bool{}
	for _, hs := range st.Holders {
		holding[hs.Holder] = true
	}
	for _, ws := range st.Waiters {
		if holding[ws.Holder] {
			h.t.Fatalf("%s both holds and waits: a waiter must never hold a strict subset of its locks", ws.Holder)
		}
	}
	for _, l := range h.q.locks {
		if l.queue.len() != countWaiting(st, l.key) {
			h.t.Fatalf("queue of %s has %d nodes, state lists %d waiters", l.key, l.queue.len(), countWaiting(st, l.key))
		}
		info, _ := h.q.Lock(l.key)
		if limit, held, ok := h.q.Usage(l.key); !ok || limit != info.Limit || held != len(info.Holders) {
			h.t.Fatalf("Usage(%s) = %d, %d, %v; snapshot says limit %d, %d holders", l.key, limit, held, ok, info.Limit, len(info.Holders))
		}
	}
	if keys := h.q.Keys(); len(keys) != len(st.Locks) {
		h.t.Fatalf("Keys lists %d locks, state %d", len(keys), len(st.Locks))
	}
}

func countWaiting(st State, lock string) int {
	n := 0
	for _, w := range st.Waiters {
		for _, l := range w.Locks {
			if l == lock {
				n++
			}
		}
	}
	return n
}

func (h *harness) step() {
	h.now = h.now.Add(time.Duration(rapid.IntRange(0, 3000).Draw(h.t, "dtMillis")) * time.Millisecond)
	switch rapid.IntRange(0, 9).Draw(h.t, "op") {
	case 0, 1, 2, 3:
		w := domain.Waiter{
			Holder:   rapid.SampledFrom(h.ids).Draw(h.t, "id"),
			Locks:    rapid.SliceOfNDistinct(rapid.SampledFrom(h.locks), 1, 3, rapid.ID[string]).Draw(h.t, "locks"),
			Priority: int32(rapid.IntRange(0, 2).Draw(h.t, "prio")),
			Created:  t0.Add(time.Duration(rapid.IntRange(0, 3).Draw(h.t, "created")) * time.Second),
		}
		got, err1 := h.q.Add(w, h.now)
		want, err2 := h.m.add(w, h.now)
		if (err1 == nil) != (err2 == nil) {
			h.t.Fatalf("add %v: queue error %v, model error %v", w, err1, err2)
		}
		h.compare(fmt.Sprintf("add %+v", w), got, want)
	case 4:
		id := rapid.SampledFrom(h.ids).Draw(h.t, "id")
		got, ok1 := h.q.Cancel(id, h.now)
		want, ok2 := h.m.cancel(id, h.now)
		if ok1 != ok2 {
			h.t.Fatalf("cancel %s: queue %v, model %v", id, ok1, ok2)
		}
		h.compare("cancel "+id, got, want)
	case 5, 6, 7:
		id := rapid.SampledFrom(h.ids).Draw(h.t, "id")
		got, ok1 := h.q.Release(id, h.now)
		want, ok2 := h.m.release(id, h.now)
		if ok1 != ok2 {
			h.t.Fatalf("release %s: queue %v, model %v", id, ok1, ok2)
		}
		h.compare("release "+id, got, want)
	case 8:
		l := rapid.SampledFrom(h.locks).Draw(h.t, "lock")
		n := rapid.IntRange(0, 4).Draw(h.t, "limit")
		got, err := h.q.SetLimit(l, n, h.now)
		if err != nil {
			h.t.Fatal(err)
		}
		h.compare(fmt.Sprintf("setLimit %s=%d", l, n), got, h.m.setLimit(l, n, h.now))
	case 9:
		h.compare("advance", h.q.Advance(h.now), h.m.walk(h.now))
	}
	if rapid.IntRange(0, 19).Draw(h.t, "restore") == 0 {
		q2, grants, err := Restore(h.cfg, h.q.State(), h.now)
		if err != nil || len(grants) != 0 {
			h.t.Fatalf("restore of a settled queue: grants %v, error %v", grants, err)
		}
		h.q = q2
	}
	h.checkInvariants()
}

func newHarness(t *rapid.T) *harness {
	cfg := Config{
		Policy:       rapid.SampledFrom([]Policy{Backfill, Strict}).Draw(t, "policy"),
		ReserveAfter: time.Duration(rapid.IntRange(1, 8).Draw(t, "reserveSec")) * time.Second,
	}
	h := &harness{t: t, cfg: cfg, q: New(cfg), m: newModel(cfg), now: t0, lastTok: map[string]uint64{},
		locks: []string{"ns/Mutex/a", "ns/ConfigMap/cm/b", "ns/ConfigMap/cm/c", "ns/Mutex/d"}}
	for i := range rapid.IntRange(2, 12).Draw(t, "ids") {
		h.ids = append(h.ids, fmt.Sprintf("ns/wf-%d", i))
	}
	for _, l := range h.locks {
		n := rapid.IntRange(0, 3).Draw(t, "limit")
		if _, err := h.q.SetLimit(l, n, h.now); err != nil {
			t.Fatal(err)
		}
		h.m.setLimit(l, n, h.now)
	}
	return h
}

// TestMatchesModel runs random operation sequences on the Queue and on the
// naive model and requires identical grants, tokens included.
func TestMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := newHarness(t)
		for range rapid.IntRange(1, 120).Draw(t, "steps") {
			h.step()
		}
	})
}

// TestBackfillNeverStarves: with finite holds, every waiter is granted
// eventually, however the waiters overlap.
func TestBackfillNeverStarves(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := Config{Policy: Backfill, ReserveAfter: 5 * time.Second}
		q := New(cfg)
		now := t0
		locks := []string{"a", "b", "c"}
		for _, l := range locks {
			if _, err := q.SetLimit(l, rapid.IntRange(1, 2).Draw(t, "limit"), now); err != nil {
				t.Fatal(err)
			}
		}
		n := rapid.IntRange(1, 30).Draw(t, "waiters")
		granted := map[string]bool{}
		for i := range n {
			w := domain.Waiter{Holder: fmt.Sprint(i), Priority: int32(rapid.IntRange(0, 1).Draw(t, "prio")), Created: now,
				Locks: rapid.SliceOfNDistinct(rapid.SampledFrom(locks), 1, 3, rapid.ID[string]).Draw(t, "locks")}
			gs, err := q.Add(w, now)
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range gs {
				granted[g.Holder] = true
			}
		}
		// Simulate: each round a random holder finishes and time passes.
		for round := 0; len(granted) < n; round++ {
			if round > 100*n {
				t.Fatalf("starvation: %d of %d granted after %d rounds", len(granted), n, round)
			}
			now = now.Add(time.Duration(rapid.IntRange(0, 4000).Draw(t, "dt")) * time.Millisecond)
			for _, g := range q.Advance(now) {
				granted[g.Holder] = true
			}
			st := q.State()
			if len(st.Holders) == 0 {
				t.Fatalf("nobody holds and %d waiters wait: deadlock", len(st.Waiters))
			}
			h := st.Holders[rapid.IntRange(0, len(st.Holders)-1).Draw(t, "finisher")].Holder
			gs, _ := q.Release(h, now)
			for _, g := range gs {
				granted[g.Holder] = true
			}
		}
	})
}
