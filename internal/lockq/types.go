package lockq

import (
	"errors"
	"time"
)

// Policy decides what a waiter that does not fit does to the other locks it
// asks for.
type Policy int

const (
	// Backfill lets later waiters use the other locks of a waiter that does
	// not fit, until it has waited ReserveAfter; from then on it blocks all
	// its locks, so it cannot starve.
	Backfill Policy = iota
	// Strict is Argo's behaviour: a waiter that does not fit blocks every
	// lock it asks for.
	Strict
)

func (p Policy) String() string {
	if p == Strict {
		return "strict"
	}
	return "backfill"
}

// DefaultReserveAfter is how long a backfill waiter lets others pass.
const DefaultReserveAfter = 30 * time.Second

// Config tunes a Queue.
type Config struct {
	Policy       Policy
	ReserveAfter time.Duration // 0 means DefaultReserveAfter
}

// Errors for requests that cannot be queued.
var (
	ErrNoLocks       = errors.New("lockq: waiter asks for no lock")
	ErrEmptyID       = errors.New("lockq: waiter has no id")
	ErrUnknownLock   = errors.New("lockq: unknown lock (set its limit first)")
	ErrDuplicateLock = errors.New("lockq: waiter asks for the same lock twice")
)

// orderKey is the total order of waiters: priority desc, creation asc,
// enqueue sequence asc. Sequences are unique, so no two keys are equal.
type orderKey struct {
	priority int32
	created  int64
	seq      uint64
}

func (a orderKey) less(b orderKey) bool {
	if a.priority != b.priority {
		return a.priority > b.priority
	}
	if a.created != b.created {
		return a.created < b.created
	}
	return a.seq < b.seq
}

type state uint8

const (
	waiting state = iota + 1
	holding
	gone // cancelled or released; stale timers may still point at it
)

// slot is one lock of a waiter or holder: the lock, the node in its
// queue, and the fencing token once granted.
type slot struct {
	l     *lock
	node  tnode
	token uint64
}

type waiter struct {
	id         string
	key        orderKey
	enqueuedAt int64 // unix nanoseconds
	slots      []slot
	rnodes     []tnode // nodes in the locks' reserved sets, once reserved
	state      state
	reserved   bool
	epoch      uint64 // the operation that last looked at this waiter
	under      []string
	nested     bool // runsUnder: counted in Queue.underWaiting while waiting
}

type lock struct {
	key   string
	limit int
	fence uint64
	queue treap
	held  map[*waiter]struct{} // holders; may exceed limit after a decrease
	// reserved holds the waiters of this queue that block it under
	// backfill because they have waited ReserveAfter (multi-lock only).
	reserved treap
	inWalk   uint64 // the operation that put a cursor on this lock
}

func (l *lock) free() int {
	if f := l.limit - len(l.held); f > 0 {
		return f
	}
	return 0
}
