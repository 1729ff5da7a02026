package lockq

import "container/heap"

// The grant rule, stated for the whole queue: walk all waiters in order and
// grant each one whose every lock still has a free permit and is not
// blocked by an earlier waiter. An earlier waiter blocks a lock when it
// asks for it and was not granted, under Strict always, under Backfill only
// once it has waited ReserveAfter (before that it blocks only the locks it
// is short of, which have no free permit anyway).
//
// Between operations the queue is a fixpoint of that walk: nobody could be
// granted. An operation changes a few locks, so only their waiters, from the
// first one whose situation changed, need walking. A cursor per affected
// lock steps through its queue, and a heap merges the cursors so waiters
// are visited in the global order. A grant changes the grantee's other
// locks too, so they get cursors from the grantee onwards. Waiters ahead
// of a cursor's start keep their previous outcome: nothing they depend on
// changed.

type cursor struct {
	w *waiter
	l *lock
}

type cursorHeap []cursor

func (h cursorHeap) Len() int           { return len(h) }
func (h cursorHeap) Less(i, j int) bool { return h[i].w.key.less(h[j].w.key) }
func (h cursorHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)        { *h = append(*h, x.(cursor)) }
func (h *cursorHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

// startCursor puts a cursor on l at the first waiter after `after` (nil:
// the head), unless l already has one in this walk or nobody can get it.
func (q *Queue) startCursor(l *lock, after *waiter) {
	if l.inWalk == q.epoch {
		return
	}
	l.inWalk = q.epoch
	q.pushNext(l, after)
}

// pushNext queues l's next candidate after `after`, if it could be granted.
func (q *Queue) pushNext(l *lock, after *waiter) {
	if l.free() == 0 {
		return
	}
	var next *waiter
	if after == nil {
		next = l.queue.first()
	} else {
		next = l.queue.after(after.key)
	}
	if next == nil || q.blocked(l, next) {
		return
	}
	heap.Push(&q.cursors, cursor{w: next, l: l})
}

func (q *Queue) walk() {
	for len(q.cursors) > 0 {
		c := heap.Pop(&q.cursors).(cursor)
		w := c.w
		if w.epoch != q.epoch {
			w.epoch = q.epoch
			if w.state == waiting && q.fits(w) {
				q.grant(w)
				for i := range w.slots {
					if l := w.slots[i].l; l != c.l {
						q.startCursor(l, w)
					}
				}
			}
		}
		q.pushNext(c.l, w)
	}
}

// fits reports whether w can take all its locks now.
func (q *Queue) fits(w *waiter) bool {
	for i := range w.slots {
		l := w.slots[i].l
		if l.free() == 0 || q.blocked(l, w) {
			return false
		}
	}
	return true
}

// blocked reports whether an earlier waiter bars w from l.
func (q *Queue) blocked(l *lock, w *waiter) bool {
	if q.policy == Strict {
		return l.queue.first() != w
	}
	r := l.reserved.first()
	return r != nil && r != w && r.key.less(w.key)
}

func (q *Queue) grant(w *waiter) {
	q.dequeue(w)
	w.state = holding
	start := len(q.tokens)
	for i := range w.slots {
		s := &w.slots[i]
		s.l.holders++
		s.l.fence++
		s.token = s.l.fence
		s.l.held[w] = struct{}{}
		q.tokens = append(q.tokens, Token{Lock: s.l.key, Value: s.token})
	}
	q.grants = append(q.grants, Grant{Holder: w.id, Tokens: q.tokens[start:len(q.tokens):len(q.tokens)]})
}
