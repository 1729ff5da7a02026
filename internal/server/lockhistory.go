package server

import (
	"time"

	"github.com/semaflow/semaflow/internal/locks"
)

// The chart's history is kept in memory: it starts empty when the server
// starts. Its size is bounded: at most historyLocks locks, each a ring
// of points at least historyStep apart over historyWindow.
const (
	historyWindow = time.Hour
	historyStep   = 2 * time.Second
	historyLocks  = 500
	historyPoints = int(historyWindow/historyStep) + 2
)

// histPoint is a lock's holders and waiters from T on.
type histPoint struct {
	T       int64 `json:"t"` // unix milliseconds
	Holders int   `json:"holders"`
	Waiters int   `json:"waiters"`
}

// lockRing holds one lock's points, oldest first, at most historyPoints.
type lockRing struct {
	pts []histPoint
}

type lockHistory struct {
	byLock map[string]*lockRing
}

// record adds each lock's counts at now when they changed. Points closer
// than historyStep replace the last one, so a burst of changes costs one
// point. Called with the feed's mutex held.
func (h *lockHistory) record(now time.Time, views []locks.View) {
	ms := now.UnixMilli()
	seen := make(map[string]bool, len(views))
	for _, v := range views {
		seen[v.Lock] = true
		h.add(v.Lock, histPoint{T: ms, Holders: len(v.Holders), Waiters: len(v.Waiters)})
	}
	for key, r := range h.byLock {
		if seen[key] {
			continue
		}
		// A lock gone from the store drops to zero, and is forgotten once
		// that is older than the window.
		if last := r.pts[len(r.pts)-1]; last.Holders+last.Waiters > 0 {
			h.add(key, histPoint{T: ms})
		} else if ms-last.T > historyWindow.Milliseconds() {
			delete(h.byLock, key)
		}
	}
}

func (h *lockHistory) add(key string, p histPoint) {
	r := h.byLock[key]
	if r == nil {
		if len(h.byLock) >= historyLocks {
			return
		}
		r = &lockRing{}
		h.byLock[key] = r
	}
	if n := len(r.pts); n > 0 {
		last := r.pts[n-1]
		if last.Holders == p.Holders && last.Waiters == p.Waiters {
			return
		}
		if p.T-last.T < historyStep.Milliseconds() && n > 1 {
			r.pts[n-1] = p
			return
		}
	}
	r.pts = append(r.pts, p)
	// Keep one point from before the window: the chart starts from it.
	cut := 0
	for cut+1 < len(r.pts) && (len(r.pts)-cut > historyPoints || p.T-r.pts[cut+1].T > historyWindow.Milliseconds()) {
		cut++
	}
	if cut > 0 {
		r.pts = append(r.pts[:0], r.pts[cut:]...)
	}
}

// points copies a lock's points from since on (with the one before, the
// value at since).
func (h *lockHistory) points(key string, since int64) []histPoint {
	r := h.byLock[key]
	if r == nil {
		return []histPoint{}
	}
	start := 0
	for i, p := range r.pts {
		if p.T <= since {
			start = i
		}
	}
	return append([]histPoint{}, r.pts[start:]...)
}
