package domain

import "time"

// Waiter is a request for one or several locks, taken all at once.
type Waiter struct {
	Holder   string   // holder key (HolderKey's string form)
	Locks    []string // lock keys (LockKey's string form)
	Priority int32    // higher first
	Created  time.Time
	// Seq, when not zero, is the waiter's enqueue sequence: a waiter that
	// left the queues (suspended, throttled) and comes back keeps its place
	// among equals. lockq assigns the next one to a zero Seq.
	Seq uint64
}

// QueuedWaiter is a waiter as it stands in the queues: with when it
// joined, the start of its wait. The store keeps these and lockq is
// rebuilt from them.
type QueuedWaiter struct {
	Waiter
	Enqueued time.Time
	// Template names the template that asked (the lock manager's key for
	// hold-time history); lockq ignores it.
	Template string
}

// Token is one lock held, with its fencing token.
type Token struct {
	Lock  string // lock key
	Value uint64
}

// Grant says that a holder holds all its locks. Tokens are in the order
// the waiter asked for the locks (for a hold read from the store, in the
// store's order); a lock appears once.
type Grant struct {
	Holder string
	Tokens []Token
}

// Token returns the fencing token of lock, if g holds it.
func (g Grant) Token(lock string) (uint64, bool) {
	for _, t := range g.Tokens {
		if t.Lock == lock {
			return t.Value, true
		}
	}
	return 0, false
}
