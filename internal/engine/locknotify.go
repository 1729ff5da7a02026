package engine

import "sync"

// lockSignal tells subscribers that lock state may have changed: after a
// commit that granted or released, or changed a workflow (whose locks
// change with it). A signal carries no data and coalesces: a subscriber
// reads the state itself, so one that is slow misses nothing but
// intermediate states.
type lockSignal struct {
	mu   sync.Mutex
	subs map[chan struct{}]struct{}
}

func (s *lockSignal) signal() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.subs {
		select {
		case c <- struct{}{}:
		default: // a signal is pending already
		}
	}
}

// LockChanges returns a channel that receives a value soon after lock
// state may have changed, and a function that ends the subscription.
// Changes made by other engines on a shared store are not seen: readers
// that need them poll too.
func (e *Engine) LockChanges() (<-chan struct{}, func()) {
	c := make(chan struct{}, 1)
	s := &e.hub.locks
	s.mu.Lock()
	if s.subs == nil {
		s.subs = map[chan struct{}]struct{}{}
	}
	s.subs[c] = struct{}{}
	s.mu.Unlock()
	return c, func() {
		s.mu.Lock()
		delete(s.subs, c)
		s.mu.Unlock()
	}
}
