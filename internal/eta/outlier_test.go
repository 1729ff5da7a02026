package eta

import (
	"testing"
	"time"

	"pgregory.net/rapid"
)

// poisoned is 17 holds of about 30s and one of 10h (a hold whose start
// was moved back, or one that hung): finding 5 of the hostile test, where
// every waiter was told "starts in ~9h48m (90%: 9h59m)".
func poisoned() *Digest {
	var ds []time.Duration
	for i := range 17 {
		ds = append(ds, 28*time.Second+time.Duration(i%5)*time.Second)
	}
	return digestOf(append(ds, 10*time.Hour)...)
}

// One far outlier among short holds moves neither the median nor, alone,
// the 90th percentile of a queue's estimates.
func TestEstimateOneOutlier(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	for _, held := range []time.Duration{5 * time.Second, 29 * time.Second} {
		l := Lock{Limit: 1, History: poisoned(), Holders: []Holder{{Since: now.Add(-held)}}, Waiters: make([]Waiter, 3)}
		for i, g := range Estimate(l, now) {
			if !g.Known {
				continue // held past every typical hold: overdue, not a number
			}
			// Waiter i waits for the holder and i holds of ~30s each.
			limit := time.Duration(i+2) * 40 * time.Second
			if p50, p90 := g.P50.Sub(now), g.P90.Sub(now); p50 > limit || p90 > 2*limit {
				t.Errorf("holder %v in, waiter %d: starts in ~%v (90%%: %v), want the short holds' (median at most %v)", held, i, p50, p90, limit)
			}
		}
	}
	r := Release(poisoned(), Holder{Since: now.Add(-5 * time.Second)}, now)
	if !r.Known || r.P50.Sub(now) > 30*time.Second || r.P90.Sub(now) > time.Minute {
		t.Errorf("release of a hold 5s in: %+v, want the short holds'", r)
	}
}

// Outliers that are not rare are a mode of the history: they count.
func TestEstimateFrequentLongHolds(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	var ds []time.Duration
	for range 16 {
		ds = append(ds, 30*time.Second)
	}
	for range 4 {
		ds = append(ds, 10*time.Hour)
	}
	g := Estimate(Lock{Limit: 1, History: digestOf(ds...), Holders: []Holder{{Since: now}}, Waiters: make([]Waiter, 1)}, now)
	if !g[0].Known || g[0].P90.Sub(now) < 9*time.Hour {
		t.Fatalf("one hold in five lasts 10h, the first waiter's p90 is %v", g[0].P90.Sub(now))
	}
}

// typical leaves out at most one sample in twenty (or a single one), only
// beyond the fence, and keeps the count otherwise.
func TestTypicalBounds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		// Holds of seconds, and a few of hours that are far outliers.
		vals := rapid.SliceOfN(rapid.Int64Range(int64(20*time.Second), int64(40*time.Second)), MinSamples, 200).Draw(t, "vals")
		far := rapid.SliceOfN(rapid.Int64Range(int64(time.Hour), int64(48*time.Hour)), 0, 4).Draw(t, "far")
		d := &Digest{}
		for _, v := range append(vals, far...) {
			d.Add(time.Duration(v))
		}
		if n := len(far); n > 0 && (n == 1 || n*rareOneInto <= len(vals)+n) && d.typical().Count() != uint64(len(vals)) {
			t.Fatalf("%d rare far outliers among %d holds of seconds not left out", n, len(vals))
		}
		got := d.typical()
		dropped := d.Count() - got.Count()
		if dropped > 1 && dropped*rareOneInto > d.Count() {
			t.Fatalf("dropped %d of %d", dropped, d.Count())
		}
		if got.min != d.min || got.max > d.max || got.Count() > 0 && got.max < got.min {
			t.Fatalf("min/max %v/%v from %v/%v", got.min, got.max, d.min, d.max)
		}
		if dropped > 0 && got.Quantile(0.5) > d.Quantile(0.5) {
			t.Fatalf("median rose from %v to %v", d.Quantile(0.5), got.Quantile(0.5))
		}
	})
}
