package eta

import (
	"testing"
	"time"
)

// A hold in progress is expected to end when holds that lasted as long
// did: unknown without enough history or a recorded start, else from its
// template's history once that has enough, or the lock's.
func TestRelease(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	s := time.Second
	min1, min3 := constant(60*s), constant(3*time.Minute)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	tests := []struct {
		name    string
		history *Digest
		holder  Holder
		want    want
	}{
		{"no history", digestOf(seq(1, MinSamples-1)...), Holder{Since: ago(10 * s)}, want{why: NoHistory}},
		{"nil history", nil, Holder{Since: ago(10 * s)}, want{why: NoHistory}},
		{"start not recorded", min1, Holder{}, want{why: NoStart}},
		{"20s into a minute", min1, Holder{Since: ago(20 * s)}, want{true, "", 40 * s, 40 * s}},
		{"its template's history", min1, Holder{Since: ago(20 * s), Hist: min3}, want{true, "", 160 * s, 160 * s}},
		{"too little of its template's", min1, Holder{Since: ago(20 * s), Hist: digestOf(3 * time.Minute)}, want{true, "", 40 * s, 40 * s}},
	}
	for _, tc := range tests {
		got := Release(tc.history, tc.holder, now)
		if got.Known != tc.want.known || got.Why != tc.want.why {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
			continue
		}
		if got.Known && (got.P50.Sub(now) != tc.want.p50 || got.P90.Sub(now) != tc.want.p90) {
			t.Errorf("%s: ends in %v (90%%: %v), want %v (90%%: %v)", tc.name, got.P50.Sub(now), got.P90.Sub(now), tc.want.p50, tc.want.p90)
		}
	}
	if got := EndText(Release(min1, Holder{Since: ago(20 * s)}, now), now); got != "ends in ~40s (90%: 40s)" {
		t.Errorf("EndText: %q", got)
	}
	if got := EndText(Start{Why: NoHistory}, now); got != "end time unknown (no history yet)" {
		t.Errorf("EndText of an unknown end: %q", got)
	}
}
