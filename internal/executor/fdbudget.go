package executor

import (
	"sync"

	"golang.org/x/sys/unix"
)

// Each running step holds about six of the supervisor's open files (its
// output pipes, directory handles, a pidfd, its record), and one being
// started a few more for a moment (the pipes' other ends, exec's status
// pipe, the handles that make its directories), so the open-file limit
// bounds how many can run at once. Past it a start would fail with "too
// many open files"; a step waits for a slot instead. Counted with that
// start-up peak: at 8, a 5,000-step burst on a loaded machine, with
// every slot taken and many steps starting at once, still ran out.
const (
	filesPerStep  = 11
	filesReserved = 64 // the supervisor's own: its pipes, the runtime's
)

// fileSlots admits steps while the open-file limit leaves room. The limit
// is read at every admission, so one raised (or lowered) while the
// supervisor runs takes effect.
type fileSlots struct {
	mu      sync.Mutex
	cond    *sync.Cond
	running int
}

func newFileSlots() *fileSlots {
	s := &fileSlots{}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// capacity is how many steps fit in the current open-file limit; at
// least one, so a tiny limit still runs steps one by one.
func (s *fileSlots) capacity() int {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil || lim.Cur > 1<<30 {
		return 1 << 20
	}
	return max(1, (int(lim.Cur)-filesReserved)/filesPerStep)
}

// tryAcquire takes a slot if one is free now; release gives it back. It
// returns nil when none is.
func (s *fileSlots) tryAcquire() (release func()) {
	s.mu.Lock()
	if s.running >= s.capacity() {
		s.mu.Unlock()
		return nil
	}
	s.running++
	s.mu.Unlock()
	return s.releaser()
}

// acquire waits until a step may start; release gives the slot back.
func (s *fileSlots) acquire() (release func()) {
	s.mu.Lock()
	for s.running >= s.capacity() {
		s.cond.Wait()
	}
	s.running++
	s.mu.Unlock()
	return s.releaser()
}

// releaser gives one slot back, once however often it is called.
func (s *fileSlots) releaser() func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.running--
			s.mu.Unlock()
			s.cond.Signal()
		})
	}
}
