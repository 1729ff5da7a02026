package lockq

import (
	"container/heap"
	"fmt"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
)

// Queue holds many locks: their limits, holders, wait queues and fencing
// counters. It is not safe for concurrent use; the caller serialises.
//
// Every mutating call takes the current time and returns the grants it
// causes. The returned slice, and the Tokens inside it, are reused by the
// next call: copy what you keep.
type Queue struct {
	policy       Policy
	reserveAfter int64
	locks        map[string]*lock
	entries      map[string]*waiter // waiting and holding, by id
	nextSeq      uint64
	epoch        uint64
	timers       timerHeap
	cursors      cursorHeap
	grants       []domain.Grant
	tokens       []domain.Token
	// underWaiting counts the waiters that run under a holder (runsUnder),
	// kept as they come and go so that MayDeadlock is O(1).
	underWaiting int
}

// New returns an empty Queue.
func New(cfg Config) *Queue {
	ra := cfg.ReserveAfter
	if ra == 0 {
		ra = DefaultReserveAfter
	}
	return &Queue{policy: cfg.Policy, reserveAfter: int64(ra), locks: map[string]*lock{},
		entries: map[string]*waiter{}, nextSeq: 1}
}

// SetLimit creates a lock or changes its limit. An increase grants waiters
// at once; a decrease never takes a permit back, so new grants wait until
// holders fall below the new limit. 0 pauses the lock.
func (q *Queue) SetLimit(key string, limit int, now time.Time) ([]domain.Grant, error) {
	if limit < 0 {
		return nil, fmt.Errorf("lockq: limit of %s must not be negative, got %d", key, limit)
	}
	q.begin(now)
	l := q.locks[key]
	if l == nil {
		l = &lock{key: key, held: map[*waiter]struct{}{}}
		q.locks[key] = l
	}
	old := l.limit
	l.limit = limit
	if limit > old {
		q.startCursor(l, nil)
		q.walk()
	}
	return q.grants, nil
}

// Add queues a waiter, or grants it at once when all its locks are free
// and nobody ahead of it is entitled to them. Adding a waiter that is
// already waiting or holding changes nothing and allocates nothing.
func (q *Queue) Add(w domain.Waiter, now time.Time) ([]domain.Grant, error) {
	q.begin(now)
	if e := q.entries[w.Holder]; e != nil {
		return nil, nil
	}
	if w.Seq == 0 {
		w.Seq = q.nextSeq
	}
	nw, err := q.newWaiter(w, now)
	if err != nil {
		return nil, err
	}
	q.enqueue(nw)
	if q.fits(nw) {
		// A newcomer blocked nobody before it came, so granting it cannot
		// let anyone else in: no walk is needed.
		q.grant(nw)
	} else {
		q.startTimer(nw)
	}
	return q.grants, nil
}

// newWaiter checks a request and builds its waiter, not yet queued.
func (q *Queue) newWaiter(w domain.Waiter, now time.Time) (*waiter, error) {
	if w.Holder == "" {
		return nil, ErrEmptyID
	}
	if len(w.Locks) == 0 {
		return nil, ErrNoLocks
	}
	nw := &waiter{id: w.Holder, enqueuedAt: now.UnixNano(), state: waiting, slots: make([]slot, len(w.Locks)),
		key: orderKey{priority: w.Priority, created: w.Created.UnixNano(), seq: w.Seq}, under: w.Under,
		nested: runsUnder(&w)}
	for i, k := range w.Locks {
		l, err := q.lockFor(k, nw.slots[:i])
		if err != nil {
			return nil, err
		}
		nw.slots[i] = slot{l: l, node: tnode{w: nw}}
	}
	q.nextSeq = max(q.nextSeq, w.Seq+1)
	return nw, nil
}

// lockFor finds lock k for a waiter or holder whose earlier slots are
// taken, refusing unknown locks and a lock asked for twice.
func (q *Queue) lockFor(k string, taken []slot) (*lock, error) {
	l := q.locks[k]
	if l == nil {
		return nil, fmt.Errorf("%w: %s", ErrUnknownLock, k)
	}
	for _, s := range taken {
		if s.l == l {
			return nil, fmt.Errorf("%w: %s", ErrDuplicateLock, k)
		}
	}
	return l, nil
}

func (q *Queue) enqueue(w *waiter) {
	q.entries[w.id] = w
	if w.nested {
		q.underWaiting++
	}
	for i := range w.slots {
		w.slots[i].l.queue.insert(&w.slots[i].node)
	}
}

// startTimer schedules when a queued waiter starts reserving. Only
// multi-lock waiters under Backfill need one: a single-lock waiter that does
// not fit has no other lock to reserve.
func (q *Queue) startTimer(w *waiter) {
	if q.policy == Backfill && len(w.slots) > 1 {
		heap.Push(&q.timers, timer{at: w.enqueuedAt + q.reserveAfter, w: w})
	}
}

// Cancel removes a waiter from its queues. It reports false, and changes
// nothing, when id is not waiting.
func (q *Queue) Cancel(id string, now time.Time) ([]domain.Grant, bool) {
	q.begin(now)
	w := q.entries[id]
	if w == nil || w.state != waiting {
		return nil, false
	}
	q.dequeue(w)
	w.state = gone
	if w.nested {
		q.underWaiting--
	}
	delete(q.entries, id)
	// Waiters ahead of w are unaffected; those behind it may have been
	// blocked by it.
	for i := range w.slots {
		q.startCursor(w.slots[i].l, w)
	}
	q.walk()
	return q.grants, true
}

func (q *Queue) dequeue(w *waiter) {
	for i := range w.slots {
		w.slots[i].l.queue.remove(&w.slots[i].node)
	}
	if w.reserved {
		for i := range w.slots {
			w.slots[i].l.reserved.remove(&w.rnodes[i])
		}
		w.rnodes = nil
		w.reserved = false
	}
}

// Release frees every lock a holder holds, exactly once. It reports false,
// and changes nothing, when id holds nothing.
func (q *Queue) Release(id string, now time.Time) ([]domain.Grant, bool) {
	q.begin(now)
	h := q.entries[id]
	if h == nil || h.state != holding {
		return nil, false
	}
	delete(q.entries, id)
	h.state = gone
	for i := range h.slots {
		l := h.slots[i].l
		delete(l.held, h)
		q.startCursor(l, nil)
	}
	q.walk()
	return q.grants, true
}

// Advance moves time forward: backfill waiters that have waited
// ReserveAfter start reserving all their locks. Reserving only adds
// blocking, so Advance never grants; it exists so that time passing is an
// explicit, testable step.
func (q *Queue) Advance(now time.Time) []domain.Grant {
	q.begin(now)
	return q.grants
}

// NextReserve returns when the next waiter starts reserving, if any.
func (q *Queue) NextReserve() (time.Time, bool) {
	for len(q.timers) > 0 {
		t := q.timers[0]
		if t.live() {
			return time.Unix(0, t.at), true
		}
		heap.Pop(&q.timers)
	}
	return time.Time{}, false
}

// begin starts an operation: it clears the result buffers and applies the
// reservations due by now.
func (q *Queue) begin(now time.Time) {
	q.epoch++
	q.grants = q.grants[:0]
	q.tokens = q.tokens[:0]
	n := now.UnixNano()
	for len(q.timers) > 0 && q.timers[0].at <= n {
		t := heap.Pop(&q.timers).(timer)
		if t.live() {
			q.reserve(t.w)
		}
	}
}

func (q *Queue) reserve(w *waiter) {
	w.reserved = true
	w.rnodes = make([]tnode, len(w.slots))
	for i := range w.slots {
		w.rnodes[i].w = w
		w.slots[i].l.reserved.insert(&w.rnodes[i])
	}
}

type timer struct {
	at int64
	w  *waiter
}

// live is false for a timer whose waiter was granted or cancelled since.
func (t timer) live() bool { return t.w.state == waiting && !t.w.reserved }

type timerHeap []timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

// Refence gives a holder new tokens for every lock it holds, each the
// lock's next fencing token, and returns them (nil when id holds
// nothing). The holder keeps its permits: no one is granted, and whoever
// still acts on the old tokens (a node that was lost) is now stale.
func (q *Queue) Refence(id string) []domain.Token {
	h := q.entries[id]
	if h == nil || h.state != holding {
		return nil
	}
	for i := range h.slots {
		h.slots[i].l.fence++
		h.slots[i].token = h.slots[i].l.fence
	}
	return q.Holding(id)
}
