package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/locks"
)

func viewWith(key string, holders, waiters int) locks.View {
	v := locks.View{Lock: key, Holders: map[string]uint64{}}
	for i := range holders {
		v.Holders[fmt.Sprint(i)] = 1
	}
	for i := range waiters {
		v.Waiters = append(v.Waiters, fmt.Sprint(i))
	}
	return v
}

// The chart's history stays bounded: changes closer than historyStep
// share a point, a lock keeps an hour of points, and at most
// historyLocks locks are followed.
func TestLockHistoryBounded(t *testing.T) {
	h := lockHistory{byLock: map[string]*lockRing{}}
	start := time.Unix(0, 0)
	key := "default/Mutex/m"
	h.record(start, []locks.View{viewWith(key, 1, 0)})
	for i := range 100 { // a burst within a second
		h.record(start.Add(time.Duration(i)*5*time.Millisecond+time.Millisecond), []locks.View{viewWith(key, 1, i%3)})
	}
	if n := len(h.byLock[key].pts); n != 2 {
		t.Fatalf("a burst made %d points, want the first and one more", n)
	}
	for i := range 3 * historyPoints { // three hours of changes
		h.record(start.Add(time.Duration(i)*historyStep), []locks.View{viewWith(key, i%2, 1)})
	}
	pts := h.byLock[key].pts
	if len(pts) > historyPoints {
		t.Fatalf("%d points kept, want at most %d", len(pts), historyPoints)
	}
	if span := time.Duration(pts[len(pts)-1].T-pts[1].T) * time.Millisecond; span > historyWindow {
		t.Fatalf("points span %s, more than the window", span)
	}
	for i := range 2 * historyLocks {
		h.record(start, []locks.View{viewWith(fmt.Sprint("default/Mutex/m", i), 1, 0)})
	}
	if len(h.byLock) > historyLocks {
		t.Fatalf("%d locks followed, want at most %d", len(h.byLock), historyLocks)
	}
}
