package lockq

import (
	"fmt"
	"sort"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
)

// QueuePos is a waiter's place in one lock's queue.
type QueuePos struct {
	Lock     string
	Position int // 1 is the head
	Ahead    int // waiters before it
	Length   int // waiters in the queue
}

// Position returns where a waiter stands in each of its queues, in the
// order it asked for the locks; nil when id is not waiting.
func (q *Queue) Position(id string) []QueuePos {
	w := q.entries[id]
	if w == nil || w.state != waiting {
		return nil
	}
	out := make([]QueuePos, len(w.slots))
	for i := range w.slots {
		l := w.slots[i].l
		r := l.queue.rank(w.key)
		out[i] = QueuePos{Lock: l.key, Position: r + 1, Ahead: r, Length: l.queue.len()}
	}
	return out
}

// Holding reports the tokens a holder holds, or nil.
func (q *Queue) Holding(id string) []domain.Token {
	h := q.entries[id]
	if h == nil || h.state != holding {
		return nil
	}
	out := make([]domain.Token, len(h.slots))
	for i := range h.slots {
		out[i] = domain.Token{Lock: h.slots[i].l.key, Value: h.slots[i].token}
	}
	return out
}

// LockInfo is a snapshot of one lock.
type LockInfo struct {
	Key        string
	Limit      int
	Fence      uint64   // the last fencing token handed out
	Holders    []string // sorted
	Waiters    []string // in queue order
	OldestWait time.Time
}

// Usage returns a lock's limit and its number of holders without walking
// its queue, or false if the lock is unknown.
func (q *Queue) Usage(key string) (limit, held int, ok bool) {
	l := q.locks[key]
	if l == nil {
		return 0, 0, false
	}
	return l.limit, len(l.held), true
}

// Pending returns how many wait in a lock's queue, without walking it.
func (q *Queue) Pending(key string) int {
	if l := q.locks[key]; l != nil {
		return l.queue.len()
	}
	return 0
}

// MayDeadlock says whether a cycle of waits is possible: false means no
// waiter runs under a holder, so FindDeadlocks(q.State(), nil, n) finds
// none, and the deadlock detector need not copy the queues to look.
func (q *Queue) MayDeadlock() bool { return q.underWaiting > 0 }

// Keys returns the keys of every known lock, sorted.
func (q *Queue) Keys() []string {
	keys := make([]string, 0, len(q.locks))
	for k := range q.locks {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Lock returns a snapshot of a lock, or false if it is unknown.
func (q *Queue) Lock(key string) (LockInfo, bool) {
	l := q.locks[key]
	if l == nil {
		return LockInfo{}, false
	}
	info := LockInfo{Key: key, Limit: l.limit, Fence: l.fence}
	for h := range l.held {
		info.Holders = append(info.Holders, h.id)
	}
	sort.Strings(info.Holders)
	oldest := int64(0)
	l.queue.each(func(w *waiter) bool {
		info.Waiters = append(info.Waiters, w.id)
		if oldest == 0 || w.enqueuedAt < oldest {
			oldest = w.enqueuedAt
		}
		return true
	})
	if oldest != 0 {
		info.OldestWait = time.Unix(0, oldest)
	}
	return info, true
}

// State is everything a Queue knows, as plain values to persist.
type State struct {
	NextSeq uint64
	Locks   []LockState           // sorted by key
	Holders []domain.Grant        // sorted by holder
	Waiters []domain.QueuedWaiter // in global order
}

// LockState is one lock's limit and fencing counter.
type LockState struct {
	Key   string
	Limit int
	Fence uint64
}

// State returns the queue's state.
func (q *Queue) State() State {
	st := State{NextSeq: q.nextSeq}
	for _, l := range q.locks {
		st.Locks = append(st.Locks, LockState{Key: l.key, Limit: l.limit, Fence: l.fence})
	}
	sort.Slice(st.Locks, func(i, j int) bool { return st.Locks[i].Key < st.Locks[j].Key })
	var ws []*waiter
	for _, e := range q.entries {
		if e.state == holding {
			st.Holders = append(st.Holders, domain.Grant{Holder: e.id, Tokens: q.Holding(e.id)})
		} else {
			ws = append(ws, e)
		}
	}
	sort.Slice(st.Holders, func(i, j int) bool { return st.Holders[i].Holder < st.Holders[j].Holder })
	sort.Slice(ws, func(i, j int) bool { return ws[i].key.less(ws[j].key) })
	for _, w := range ws {
		locks := make([]string, len(w.slots))
		for i := range w.slots {
			locks[i] = w.slots[i].l.key
		}
		st.Waiters = append(st.Waiters, domain.QueuedWaiter{
			Waiter: domain.Waiter{Holder: w.id, Locks: locks, Priority: w.key.priority, Created: time.Unix(0, w.key.created), Seq: w.key.seq,
				Under: w.under},
			Enqueued: time.Unix(0, w.enqueuedAt),
		})
	}
	return st
}

// Restore rebuilds a Queue from a State. Holders keep their tokens and are
// counted even above a lowered limit; waiters keep their order keys and
// wait times. If the state was saved between an operation and its grants,
// Restore makes those grants and returns them, so nothing is lost.
func Restore(cfg Config, st State, now time.Time) (*Queue, []domain.Grant, error) {
	q := New(cfg)
	for _, ls := range st.Locks {
		if ls.Limit < 0 {
			return nil, nil, fmt.Errorf("lockq: restore: lock %s has negative limit %d", ls.Key, ls.Limit)
		}
		q.locks[ls.Key] = &lock{key: ls.Key, limit: ls.Limit, fence: ls.Fence, held: map[*waiter]struct{}{}}
	}
	for _, hs := range st.Holders {
		if hs.Holder == "" || len(hs.Tokens) == 0 || q.entries[hs.Holder] != nil {
			return nil, nil, fmt.Errorf("lockq: restore: bad or duplicate holder %q", hs.Holder)
		}
		h := &waiter{id: hs.Holder, state: holding, slots: make([]slot, len(hs.Tokens))}
		for i, t := range hs.Tokens {
			l, err := q.lockFor(t.Lock, h.slots[:i])
			if err != nil {
				return nil, nil, fmt.Errorf("lockq: restore: holder %s: %w", hs.Holder, err)
			}
			if t.Value > l.fence {
				return nil, nil, fmt.Errorf("lockq: restore: holder %s has token %d of %s, beyond its fence %d", hs.Holder, t.Value, t.Lock, l.fence)
			}
			h.slots[i] = slot{l: l, token: t.Value}
			l.held[h] = struct{}{}
		}
		q.entries[hs.Holder] = h
	}
	q.nextSeq = max(st.NextSeq, 1)
	seqs := make(map[uint64]bool, len(st.Waiters))
	for _, ws := range st.Waiters {
		if ws.Seq == 0 || seqs[ws.Seq] {
			return nil, nil, fmt.Errorf("lockq: restore: waiter %s has a missing or repeated sequence", ws.Holder)
		}
		seqs[ws.Seq] = true
		if err := q.restoreWaiter(ws); err != nil {
			return nil, nil, err
		}
	}
	q.begin(now)
	for _, l := range q.locks {
		q.startCursor(l, nil)
	}
	q.walk()
	return q, q.grants, nil
}

func (q *Queue) restoreWaiter(ws domain.QueuedWaiter) error {
	if q.entries[ws.Holder] != nil {
		return fmt.Errorf("lockq: restore: waiter %q appears twice", ws.Holder)
	}
	w, err := q.newWaiter(ws.Waiter, ws.Enqueued)
	if err != nil {
		return fmt.Errorf("lockq: restore: waiter %q: %w", ws.Holder, err)
	}
	q.enqueue(w)
	q.startTimer(w)
	return nil
}
