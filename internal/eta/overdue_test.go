package eta

import (
	"testing"
	"time"
)

// A holder that has held longer than every recorded hold gives its
// waiters no number: the history cannot say when it ends. The next in
// line starts when it releases, those behind after.
func TestEstimateOverdue(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	s := time.Second
	min1 := constant(60 * s)
	late := Holder{ID: "default/late", Since: now.Add(-5 * time.Minute)}
	got := Estimate(Lock{Limit: 1, History: min1, Holders: []Holder{late}, Waiters: make([]Waiter, 2)}, now)
	want := []string{
		"starts when default/late releases (overdue: held 5m, 90% of holds end by 1m)",
		"starts after default/late releases (overdue: held 5m, 90% of holds end by 1m)",
	}
	for i, g := range got {
		if g.Known || g.Why != WaitsOverdue || g.Overdue == nil || !g.P50.IsZero() {
			t.Fatalf("waiter %d: %+v, want unknown for an overdue holder", i, g)
		}
		if txt := Text(g, now); txt != want[i] {
			t.Errorf("waiter %d: %q, want %q", i, txt, want[i])
		}
	}
	// Of a semaphore's two permits, one is held by an overdue holder: the
	// other goes round, and every waiter has a number.
	fresh := Holder{ID: "default/fresh", Since: now.Add(-20 * s)}
	got = Estimate(Lock{Limit: 2, History: min1, Holders: []Holder{late, fresh}, Waiters: make([]Waiter, 3)}, now)
	if !got[0].Known || got[0].P50.Sub(now) != 40*s {
		t.Errorf("first waiter, behind a fresh holder: %+v, want 40s", got[0])
	}
	if !got[1].Known || got[1].P50.Sub(now) != 100*s {
		t.Errorf("second waiter, behind the first: %+v, want 100s", got[1])
	}
	if !got[2].Known || got[2].P50.Sub(now) != 160*s {
		t.Errorf("third waiter: %+v, want 160s", got[2])
	}
	// Two overdue holders of a semaphore: the first waiter takes the
	// permit of whichever releases first.
	later := Holder{ID: "default/later", Since: now.Add(-10 * time.Minute)}
	got = Estimate(Lock{Limit: 2, History: min1, Holders: []Holder{late, later}, Waiters: make([]Waiter, 1)}, now)
	if txt := Text(got[0], now); txt != "starts when default/later (or another overdue holder) releases (overdue: held 10m, 90% of holds end by 1m)" {
		t.Errorf("behind two overdue holders: %q", txt)
	}
}

// A hold that has outlasted its history has no expected end: it is
// overdue, said with how long it has held and how long holds last.
func TestReleaseOverdue(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	short := constant(200 * time.Millisecond)
	r := Release(short, Holder{Since: now.Add(-16 * time.Second)}, now)
	if r.Known || r.Why != HeldOverdue || r.Overdue == nil || r.Overdue.Held != 16*time.Second {
		t.Fatalf("release of a 16s hold among 0.2s ones: %+v", r)
	}
	if got := ReleaseText(r, now); got != "release overdue (held 16s, 90% of holds end by 200ms)" {
		t.Errorf("ReleaseText = %q", got)
	}
	if got := EndText(r, now); got != "overdue (held 16s, 90% of holds end by 200ms)" {
		t.Errorf("EndText = %q", got)
	}
	// Until then, a number.
	if r := Release(short, Holder{Since: now.Add(-100 * time.Millisecond)}, now); !r.Known {
		t.Errorf("a hold 0.1s into holds of 0.2s: %+v", r)
	}
}
