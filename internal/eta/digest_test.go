package eta

import (
	"math"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func digestOf(ds ...time.Duration) *Digest {
	var d Digest
	for _, v := range ds {
		d.Add(v)
	}
	return &d
}

func TestDigestQuantiles(t *testing.T) {
	s := time.Second
	tests := []struct {
		name     string
		d        *Digest
		q        float64
		want     time.Duration
		tolerant bool // within a bucket's width, not exact
	}{
		{"empty", digestOf(), 0.5, 0, false},
		{"constant median", digestOf(60*s, 60*s, 60*s), 0.5, 60 * s, false},
		{"constant p90", digestOf(60*s, 60*s, 60*s), 0.9, 60 * s, false},
		{"min", digestOf(10*s, 20*s, 30*s), 0, 10 * s, false},
		{"max", digestOf(10*s, 20*s, 30*s), 1, 30 * s, false},
		{"sub-base", digestOf(time.Millisecond, time.Millisecond), 0.5, time.Millisecond, false},
		{"median of 1..100s", digestOf(seq(1, 100)...), 0.5, 50 * s, true},
		{"p90 of 1..100s", digestOf(seq(1, 100)...), 0.9, 90 * s, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.d.Quantile(tt.q)
			if tt.tolerant {
				if rel := math.Abs(float64(got-tt.want)) / float64(tt.want); rel > 0.05 {
					t.Fatalf("Quantile(%v) = %v, want %v within 5%%", tt.q, got, tt.want)
				}
			} else if got != tt.want {
				t.Fatalf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

func seq(from, to int) []time.Duration {
	var out []time.Duration
	for i := from; i <= to; i++ {
		out = append(out, time.Duration(i)*time.Second)
	}
	return out
}

func TestDigestRemaining(t *testing.T) {
	s := time.Second
	constant := digestOf(60*s, 60*s, 60*s, 60*s, 60*s)
	two := digestOf(10*s, 10*s, 10*s, 100*s, 100*s, 100*s)
	tests := []struct {
		name    string
		d       *Digest
		elapsed time.Duration
		q       float64
		want    time.Duration
	}{
		{"constant, fresh", constant, 0, 0.5, 60 * s},
		{"constant, 20s in", constant, 20 * s, 0.9, 40 * s},
		// Held longer than any recorded hold: never a negative time; with
		// holds all alike, at once.
		{"constant, overdue", constant, 90 * s, 0.5, 0},
		// Past nine in ten holds: what the longest tenth needed beyond
		// the 90th percentile, however long it has lasted.
		{"spread, overdue", digestOf(seq(1, 100)...), time.Hour, 1, 100*s - digestOf(seq(1, 100)...).Quantile(0.9)},
		{"spread, at p90", digestOf(seq(1, 100)...), digestOf(seq(1, 100)...).Quantile(0.9), 1, 100*s - digestOf(seq(1, 100)...).Quantile(0.9)},
		{"constant, exactly typical", constant, 60 * s, 0.5, 0},
		// Past every short hold, only the long ones are left.
		{"two modes, past the short, longest", two, 50 * s, 1, 50 * s},
		{"two modes, before the short, shortest", two, 5 * s, 0, 5 * s},
		{"empty", digestOf(), 5 * s, 0.5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.Remaining(tt.elapsed, tt.q); got != tt.want {
				t.Fatalf("Remaining(%v, %v) = %v, want %v", tt.elapsed, tt.q, got, tt.want)
			}
		})
	}
	// Inside a bucket the answer is interpolated: past the short holds,
	// the median of what is left is the long holds' bucket, less elapsed.
	if got := two.Remaining(50*s, 0.5); got < 47*s || got > 50*s {
		t.Fatalf("Remaining(50s, 0.5) = %v, want 47s..50s", got)
	}
}

func TestDigestRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		vals := rapid.SliceOf(rapid.Int64Range(0, int64(50*24*time.Hour))).Draw(t, "vals")
		d := &Digest{}
		for _, v := range vals {
			d.Add(time.Duration(v))
		}
		text, err := d.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Digest
		if err := back.UnmarshalText(text); err != nil {
			t.Fatalf("UnmarshalText(%q): %v", text, err)
		}
		if back != *d {
			t.Fatalf("round trip changed the digest: %q", text)
		}
	})
}

func TestDigestRejectsBadText(t *testing.T) {
	for _, s := range []string{"", "v2 1 0 0 1:1", "v1 2 0 0 1:1", "v1 1 5 4 1:1", "v1 1 0 0 999:1", "v1 1 0 0 1:0", "v1 x 0 0"} {
		var d Digest
		if err := d.UnmarshalText([]byte(s)); err == nil {
			t.Errorf("UnmarshalText(%q) accepted it", s)
		}
	}
}

// A quantile is within a bucket's width (4.5%) of the exact sample
// quantile, stays between min and max, and does not fall as q rises;
// merging two digests is the same as adding every sample to one.
func TestDigestProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := rapid.SliceOfN(rapid.Int64Range(int64(bucketBase), int64(10*time.Hour)), 1, 300).Draw(t, "a")
		b := rapid.SliceOfN(rapid.Int64Range(0, int64(10*time.Hour)), 0, 300).Draw(t, "b")
		da, db, all := &Digest{}, &Digest{}, &Digest{}
		for _, v := range a {
			da.Add(time.Duration(v))
			all.Add(time.Duration(v))
		}
		for _, v := range b {
			db.Add(time.Duration(v))
			all.Add(time.Duration(v))
		}
		merged := *da
		merged.Merge(db)
		if merged != *all {
			t.Fatalf("Merge differs from adding every sample")
		}
		sorted := slices.Clone(a)
		slices.Sort(sorted)
		prev := time.Duration(-1)
		for _, q := range []float64{0, 0.1, 0.5, 0.9, 0.99, 1} {
			got := da.Quantile(q)
			if got < prev {
				t.Fatalf("Quantile(%v) = %v below a lower quantile's %v", q, got, prev)
			}
			prev = got
			if got < time.Duration(sorted[0]) || got > time.Duration(sorted[len(sorted)-1]) {
				t.Fatalf("Quantile(%v) = %v outside [min, max]", q, got)
			}
			// The exact q-quantile lies between the samples of rank
			// floor and ceil of q·n; the estimate is within a bucket of one.
			lo := time.Duration(sorted[max(0, int(math.Floor(q*float64(len(sorted))))-1)])
			hi := time.Duration(sorted[min(len(sorted)-1, int(math.Ceil(q*float64(len(sorted)))))])
			if float64(got) < float64(lo)/1.1 || float64(got) > float64(hi)*1.1 {
				t.Fatalf("Quantile(%v) = %v, exact lies in [%v, %v]", q, got, lo, hi)
			}
		}
	})
}

// Memory is bounded: however many samples, the count stays below maxCount
// and the quantiles stay in range.
func TestDigestBounded(t *testing.T) {
	d := &Digest{}
	for i := range 5 * maxCount {
		d.Add(time.Duration(1+i%100) * time.Second)
	}
	if d.Count() >= maxCount {
		t.Fatalf("count %d, want below %d", d.Count(), maxCount)
	}
	if m := d.Quantile(0.5); m < 45*time.Second || m > 55*time.Second {
		t.Fatalf("median %v after halving, want about 50s", m)
	}
}
