package eta

import (
	"testing"
	"time"

	"pgregory.net/rapid"
)

func constant(d time.Duration) *Digest {
	ds := make([]time.Duration, MinSamples)
	for i := range ds {
		ds[i] = d
	}
	return digestOf(ds...)
}

// want is a start as offsets from now.
type want struct {
	known    bool
	why      string
	p50, p90 time.Duration
}

func TestEstimateTable(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	s := time.Second
	min1 := constant(60 * s)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	waiters := func(n int, h *Digest) []Waiter {
		out := make([]Waiter, n)
		for i := range out {
			out[i] = Waiter{Hist: h}
		}
		return out
	}
	tests := []struct {
		name string
		lock Lock
		want []want
	}{
		{"no history", Lock{Limit: 1, History: digestOf(seq(1, MinSamples-1)...), Holders: []Holder{{Since: now}}, Waiters: waiters(2, nil)},
			[]want{{why: NoHistory}, {why: NoHistory}}},
		{"nil history", Lock{Limit: 1, Waiters: waiters(1, nil)}, []want{{why: NoHistory}}},
		{"paused", Lock{Limit: 0, History: min1, Waiters: waiters(1, nil)}, []want{{why: Paused}}},
		{"mutex, holder 20s in", Lock{Limit: 1, History: min1, Holders: []Holder{{Since: ago(20 * s)}}, Waiters: waiters(3, nil)},
			[]want{{true, "", 40 * s, 40 * s}, {true, "", 100 * s, 100 * s}, {true, "", 160 * s, 160 * s}}},
		// A holder past every recorded hold may end at any time: no
		// number (TestEstimateOverdue).
		{"mutex, holder overdue", Lock{Limit: 1, History: min1, Holders: []Holder{{Since: ago(5 * time.Minute)}}, Waiters: waiters(2, nil)},
			[]want{{why: WaitsOverdue}, {why: WaitsOverdue}}},
		{"free permit", Lock{Limit: 2, History: min1, Holders: []Holder{{Since: ago(10 * s)}}, Waiters: waiters(2, nil)},
			[]want{{true, "", 0, 0}, {true, "", 50 * s, 50 * s}}},
		{"semaphore of 2, two holders", Lock{Limit: 2, History: min1,
			Holders: []Holder{{Since: ago(10 * s)}, {Since: ago(30 * s)}}, Waiters: waiters(4, nil)},
			[]want{{true, "", 30 * s, 30 * s}, {true, "", 50 * s, 50 * s}, {true, "", 90 * s, 90 * s}, {true, "", 110 * s, 110 * s}}},
		// After a lowered limit, holders above it must end first.
		{"more holders than the limit", Lock{Limit: 1, History: min1,
			Holders: []Holder{{Since: ago(10 * s)}, {Since: ago(30 * s)}}, Waiters: waiters(1, nil)},
			[]want{{true, "", 50 * s, 50 * s}}},
		// A template's own history replaces the lock's once it has enough.
		{"template history", Lock{Limit: 1, History: min1,
			Holders: []Holder{{Since: ago(0), Hist: constant(10 * s)}}, Waiters: []Waiter{{Hist: constant(2 * time.Minute)}, {}}},
			[]want{{true, "", 10 * s, 10 * s}, {true, "", 130 * s, 130 * s}}},
		{"short template history uses the lock's", Lock{Limit: 1, History: min1,
			Holders: []Holder{{Since: ago(0), Hist: digestOf(10 * s)}}, Waiters: waiters(1, nil)},
			[]want{{true, "", 60 * s, 60 * s}}},
		{"no waiters", Lock{Limit: 1, History: min1}, []want{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Estimate(tt.lock, now)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d estimates, want %d", len(got), len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Known != w.known || g.Why != w.why {
					t.Fatalf("waiter %d: known %v why %q, want %v %q", i, g.Known, g.Why, w.known, w.why)
				}
				if w.known && (g.P50.Sub(now) != w.p50 || g.P90.Sub(now) != w.p90) {
					t.Fatalf("waiter %d: starts in %v (90%%: %v), want %v (90%%: %v)", i, g.P50.Sub(now), g.P90.Sub(now), w.p50, w.p90)
				}
				if !w.known && (!g.P50.IsZero() || !g.P90.IsZero()) {
					t.Fatalf("waiter %d: unknown but has a number", i)
				}
			}
		})
	}
}

// With spread history the draws decide: for one holder just started on a
// mutex whose holds last 10s or 100s evenly, the first waiter's median is
// one of the two and its p90 the long one.
func TestEstimateSpread(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	s := time.Second
	two := digestOf(10*s, 10*s, 10*s, 10*s, 10*s, 100*s, 100*s, 100*s, 100*s, 100*s)
	got := Estimate(Lock{Limit: 1, History: two, Holders: []Holder{{Since: now}}, Waiters: make([]Waiter, 2)}, now)
	if p90 := got[0].P90.Sub(now); p90 < 97*s || p90 > 100*s {
		t.Fatalf("p90 %v, want the long holds' 97s..100s", p90)
	}
	if p90 := got[1].P90.Sub(now); p90 < 190*s || p90 > 200*s {
		t.Fatalf("second waiter's p90 %v, want about two long holds", p90)
	}
	again := Estimate(Lock{Limit: 1, History: two, Holders: []Holder{{Since: now}}, Waiters: make([]Waiter, 2)}, now)
	if again[0] != got[0] || again[1] != got[1] {
		t.Fatal("the same input gave another answer")
	}
}

func TestEstimateTooFar(t *testing.T) {
	now := time.Unix(0, 0)
	got := Estimate(Lock{Limit: 1, History: constant(time.Second), Waiters: make([]Waiter, MaxQueue+2)}, now)
	if !got[MaxQueue-1].Known || got[MaxQueue].Known || got[MaxQueue].Why != TooFar {
		t.Fatalf("waiters %d and %d: %+v %+v", MaxQueue, MaxQueue+1, got[MaxQueue-1], got[MaxQueue])
	}
}

func TestLatest(t *testing.T) {
	now := time.Unix(0, 0)
	a := Start{Known: true, P50: now.Add(10), P90: now.Add(50)}
	b := Start{Known: true, P50: now.Add(20), P90: now.Add(30)}
	if got := Latest(a, b); got != (Start{Known: true, P50: now.Add(20), P90: now.Add(50)}) {
		t.Fatalf("Latest = %+v", got)
	}
	if got := Latest(a, Start{Why: NoHistory}); got.Known || got.Why != NoHistory {
		t.Fatalf("Latest with an unknown = %+v", got)
	}
}

// Estimates never lie before now, the p90 is never before the median, and
// nobody is expected to start before the waiter ahead of them.
func TestEstimateProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		now := time.Unix(1_000_000, 0)
		hist := &Digest{}
		for _, v := range rapid.SliceOfN(rapid.Int64Range(0, int64(time.Hour)), MinSamples, 50).Draw(t, "hist") {
			hist.Add(time.Duration(v))
		}
		l := Lock{Limit: rapid.IntRange(1, 4).Draw(t, "limit"), History: hist}
		for _, e := range rapid.SliceOfN(rapid.Int64Range(0, int64(2*time.Hour)), 0, 6).Draw(t, "holders") {
			l.Holders = append(l.Holders, Holder{Since: now.Add(-time.Duration(e))})
		}
		l.Waiters = make([]Waiter, rapid.IntRange(0, 20).Draw(t, "waiters"))
		got := Estimate(l, now)
		for i, g := range got {
			// Behind a holder past every recorded hold, no number; nor
			// for anyone behind that waiter.
			if !g.Known && g.Why == WaitsOverdue && g.Overdue != nil && (i+1 == len(got) || !got[i+1].Known) {
				continue
			}
			if !g.Known || g.P50.Before(now) || g.P90.Before(g.P50) {
				t.Fatalf("waiter %d: %+v", i, g)
			}
			if i > 0 && (g.P50.Before(got[i-1].P50) || g.P90.Before(got[i-1].P90)) {
				t.Fatalf("waiter %d expected before the one ahead: %+v < %+v", i, g, got[i-1])
			}
		}
	})
}

func TestText(t *testing.T) {
	now := time.Unix(0, 0)
	tests := []struct {
		s    Start
		want string
	}{
		{Start{Why: NoHistory}, "start time unknown (no history yet)"},
		{Start{Known: true, P50: now.Add(130 * time.Second), P90: now.Add(5 * time.Minute)}, "starts in ~2m10s (90%: 5m)"},
		{Start{Known: true, P50: now, P90: now.Add(1500 * time.Millisecond)}, "starts in ~0s (90%: 2s)"},
		{Start{Known: true, P50: now.Add(64 * time.Minute), P90: now.Add(2*time.Hour + 20*time.Second)}, "starts in ~1h4m (90%: 2h)"},
	}
	for _, tt := range tests {
		if got := Text(tt.s, now); got != tt.want {
			t.Errorf("Text = %q, want %q", got, tt.want)
		}
	}
}
