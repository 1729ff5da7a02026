package locks

import (
	"time"

	"github.com/semaflow/semaflow/internal/eta"
)

// estimateFresh is how long a lock's estimates are reused while its
// queues do not change: a list of many waiters computes each lock once,
// and elapsed times move by less than the estimates' rounding.
const estimateFresh = time.Second

type cachedStarts struct {
	at     time.Time
	starts map[string]eta.Start // by waiting holder
}

type estimateCache struct {
	version uint64
	byLock  map[string]cachedStarts
}

// lockInput is one lock's side of an estimate, from the queues or from
// the store.
type lockInput struct {
	limit            int
	holders, waiters []string // waiters in grant order
	since            func(holder string) time.Time
	template         func(holder string) string
	digests          map[string]*eta.Digest // by template; "" every hold
}

// estimateLock returns the estimated start of each of a lock's waiters.
func estimateLock(in lockInput, now time.Time) map[string]eta.Start {
	l := eta.Lock{Limit: in.limit, History: in.digests[""], Holders: make([]eta.Holder, len(in.holders))}
	for i, h := range in.holders {
		l.Holders[i] = eta.Holder{ID: h, Since: in.since(h), Hist: in.digests[in.template(h)]}
	}
	n := min(len(in.waiters), eta.MaxQueue+1)
	l.Waiters = make([]eta.Waiter, n)
	for i, w := range in.waiters[:n] {
		l.Waiters[i] = eta.Waiter{Hist: in.digests[in.template(w)]}
	}
	starts := eta.Estimate(l, now)
	out := make(map[string]eta.Start, len(in.waiters))
	for i, w := range in.waiters {
		if i < len(starts) {
			out[w] = hideOverdue(w, starts[i])
		} else {
			out[w] = eta.Start{Why: eta.TooFar}
		}
	}
	return out
}

// Estimate returns when a waiting holder is expected to start: the latest
// of its locks' estimates. False when holder does not wait.
func (m *Manager) Estimate(holder string, now time.Time) (eta.Start, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.estimate(holder, now)
}

func (m *Manager) estimate(holder string, now time.Time) (eta.Start, bool) {
	pos := m.q.Position(holder)
	if pos == nil {
		return eta.Start{}, false
	}
	starts := make([]eta.Start, 0, len(pos))
	for _, p := range pos {
		starts = append(starts, m.lockStarts(p.Lock, now)[holder])
	}
	return eta.Latest(starts...), true
}

// lockStarts returns the estimates of a lock's waiters, cached while the
// queues stay as they were, for estimateFresh.
func (m *Manager) lockStarts(key string, now time.Time) map[string]eta.Start {
	c := &m.hist.cache
	if c.version != m.hist.version {
		clear(c.byLock)
		c.version = m.hist.version
	}
	if e, ok := c.byLock[key]; ok && !now.Before(e.at) && now.Sub(e.at) < estimateFresh {
		return e.starts
	}
	info, ok := m.q.Lock(key)
	if !ok {
		return nil
	}
	starts := estimateLock(lockInput{
		limit: info.Limit, holders: info.Holders, waiters: info.Waiters,
		since: func(h string) time.Time {
			if s, ok := m.holdSince[h]; ok {
				return s
			}
			return now
		},
		template: func(h string) string { return m.hist.template[h] },
		digests:  m.hist.digests[key],
	}, now)
	c.byLock[key] = cachedStarts{at: now, starts: starts}
	return starts
}

// hideOverdue does not name, to waiter, an overdue holder of another
// namespace (as heldBackText).
func hideOverdue(waiter string, s eta.Start) eta.Start {
	if s.Overdue != nil && !sameNamespace(waiter, s.Overdue.Holder) {
		o := *s.Overdue
		o.Holder = otherNamespace
		s.Overdue = &o
	}
	return s
}
