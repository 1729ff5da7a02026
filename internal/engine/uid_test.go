package engine

import (
	"fmt"
	"regexp"
	"testing"
	"time"
)

var uuidV7 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// Workflow UIDs sort in the order they were made (so a store's rows of
// workflows made together share pages), even within one millisecond,
// past 4,096 in one millisecond, and when the wall clock steps back; each
// is a UUID version 7 whose time part is the clock's.
func TestWorkflowUIDsSortByCreation(t *testing.T) {
	var c uidClock
	t0 := time.Date(2026, 12, 5, 14, 0, 0, 0, time.UTC)
	clock := []time.Time{t0, t0, t0.Add(time.Millisecond), t0.Add(-time.Second), t0.Add(2 * time.Millisecond)}
	for range 5000 {
		clock = append(clock, t0.Add(3*time.Millisecond))
	}
	clock = append(clock, t0.Add(time.Second))
	prev := ""
	for i, now := range clock {
		uid := c.next(now)
		if !uuidV7.MatchString(uid) {
			t.Fatalf("UID %d %q is not a UUID version 7", i, uid)
		}
		if uid <= prev {
			t.Fatalf("UID %d %q does not sort after %q", i, uid, prev)
		}
		prev = uid
	}
	if got, want := prev[:8]+prev[9:13], fmt.Sprintf("%012x", t0.Add(time.Second).UnixMilli()); got != want {
		t.Errorf("time part of the last UID %q, want %q (unix ms of %s)", got, want, t0.Add(time.Second))
	}
	a, b := c.next(t0.Add(time.Hour)), c.next(t0.Add(time.Hour))
	if a[19:] == b[19:] {
		t.Errorf("UIDs %q and %q share their random part", a, b)
	}
}
