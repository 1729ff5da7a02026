package lockq

import "time"

// HeldBack returns what Explain's reasons of kinds Reserved and
// StrictOrder say for waiter id, in the order it asked for its locks: the
// earlier waiters whose reservation or strict turn bars it. It reads the
// queue's own indexes (each lock's head and earliest reserver), so it costs
// O(locks · log n) where Explain walks every waiter ahead: a list of many
// waiting workflows can say it for each. Between operations the queue is
// settled as at its last operation's time, which is the time Explain must
// be asked at to agree. Nil when id does not wait or only limits hold it.
func (q *Queue) HeldBack(id string) []Reason {
	w := q.entries[id]
	if w == nil || w.state != waiting {
		return nil
	}
	var out []Reason
	for i := range w.slots {
		l := w.slots[i].l
		var by *waiter
		kind := ReasonReserved
		if q.policy == Strict {
			kind = ReasonStrictOrder
			if h := l.queue.first(); h != w {
				by = h
			}
		} else if r := l.reserved.first(); r != nil && r != w && r.key.less(w.key) {
			by = r
		}
		if by == nil {
			continue
		}
		r := Reason{Kind: kind, Lock: l.key, By: by.id, ByLocks: make([]string, len(by.slots))}
		for j := range by.slots {
			r.ByLocks[j] = by.slots[j].l.key
		}
		if kind == ReasonReserved {
			r.Since = time.Unix(0, by.enqueuedAt+q.reserveAfter)
		}
		out = append(out, r)
	}
	return out
}
