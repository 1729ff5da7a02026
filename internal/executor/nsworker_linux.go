package executor

import (
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// A step with a private /tmp is started from a thread that took a mount
// namespace of its own (privateTmp). Go cannot give such a thread back to
// other goroutines, so it used to be thrown away after every step: a
// thread made and ended per step, about a tenth of the supervisor's time.
// Instead, once the step is reaped, the thread goes back to the host's
// mount namespace, the supervisor's root (a step root chroots the thread)
// and working directory, and waits for the next such step. It stays locked to
// its goroutine, so no other goroutine ever runs on it; one whose step
// failed to start, or that cannot go back, is still thrown away.

// maxIdleNSThreads bounds the threads kept waiting for a step.
const maxIdleNSThreads = 16

// nsThreadsMade counts threads made to start private-/tmp steps, for tests.
var nsThreadsMade atomic.Uint64

var nsThreads struct {
	mu   sync.Mutex
	idle []chan spawnJob
}

// home is the host's mount namespace, the supervisor's root and its
// working directory, open, taken on a thread that never left them; ok is
// false when they could not be opened (threads are then not reused).
var home = sync.OnceValues(func() (fds [3]int, ok bool) {
	for i, p := range []string{"/proc/thread-self/ns/mnt", "/", "."} {
		flags := unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC
		if i == 0 {
			flags = unix.O_RDONLY | unix.O_CLOEXEC
		}
		fd, err := unix.Open(p, flags, 0)
		if err != nil {
			for _, f := range fds[:i] {
				_ = unix.Close(f)
			}
			return fds, false
		}
		fds[i] = fd
	}
	return fds, true
})

// startInNamespace runs j on an idle namespace thread, or a new one.
func startInNamespace(j spawnJob) {
	nsThreads.mu.Lock()
	var w chan spawnJob
	if n := len(nsThreads.idle); n > 0 {
		w = nsThreads.idle[n-1]
		nsThreads.idle = nsThreads.idle[:n-1]
	}
	nsThreads.mu.Unlock()
	if w != nil {
		w <- j // buffered: the thread is waiting on it
		return
	}
	nsThreadsMade.Add(1)
	go nsThread(j)
}

// nsThread runs jobs on one locked thread until one leaves it unusable
// or enough threads wait already; then it returns still locked, and Go
// ends the thread.
func nsThread(j spawnJob) {
	runtime.LockOSThread()
	// Opened here, before any setup, on a thread still in the host's
	// namespace; /proc/self could name a thread that is not.
	fds, ok := home()
	for {
		if reaped, usable := j.runAtStepNice(); !reaped || !usable || !ok || !goHome(fds) {
			return
		}
		next := make(chan spawnJob, 1)
		nsThreads.mu.Lock()
		if len(nsThreads.idle) >= maxIdleNSThreads {
			nsThreads.mu.Unlock()
			return
		}
		nsThreads.idle = append(nsThreads.idle, next)
		nsThreads.mu.Unlock()
		j = <-next
	}
}

// goHome puts the calling thread back in the host's mount namespace, the
// supervisor's root (setns makes the namespace's own root the thread's,
// which is not the supervisor's if it was chrooted) and its working
// directory.
func goHome(fds [3]int) bool {
	return unix.Setns(fds[0], unix.CLONE_NEWNS) == nil &&
		unix.Fchdir(fds[1]) == nil && unix.Chroot(".") == nil &&
		unix.Fchdir(fds[2]) == nil
}
