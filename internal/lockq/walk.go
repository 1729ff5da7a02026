package lockq

import "github.com/semaflow/semaflow/internal/domain"

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

// cursorHeap is a min-heap by waiter order. It is typed, not
// container/heap, because boxing cursors into interfaces allocated on
// every grant.
type cursorHeap []cursor

func (h *cursorHeap) push(c cursor) {
	*h = append(*h, c)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if !a[i].w.key.less(a[p].w.key) {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

func (h *cursorHeap) pop() cursor {
	a := *h
	top := a[0]
	last := len(a) - 1
	a[0] = a[last]
	a = a[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(a) && a[l].w.key.less(a[m].w.key) {
			m = l
		}
		if r < len(a) && a[r].w.key.less(a[m].w.key) {
			m = r
		}
		if m == i {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return top
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
	q.cursors.push(cursor{w: next, l: l})
}

func (q *Queue) walk() {
	for len(q.cursors) > 0 {
		c := q.cursors.pop()
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
	if w.nested {
		q.underWaiting--
	}
	start := len(q.tokens)
	for i := range w.slots {
		s := &w.slots[i]
		s.l.fence++
		s.token = s.l.fence
		s.l.held[w] = struct{}{}
		q.tokens = append(q.tokens, domain.Token{Lock: s.l.key, Value: s.token})
	}
	q.grants = append(q.grants, domain.Grant{Holder: w.id, Tokens: q.tokens[start:len(q.tokens):len(q.tokens)]})
}
