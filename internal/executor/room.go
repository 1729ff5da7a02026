package executor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A step whose directory's disk has no room for its claim, its
// directories or its script has not started and has written nothing that
// counts: it waits for room, as the engine's commits do, instead of
// ending in Error. The engine's record of it stays Pending (its node says
// why) and its locks stay held meanwhile; a kill or its deadline ends the
// wait (the step never runs). The engine going away ends the wait for
// the claim (the next engine finds the step never started and starts it
// again); a step already taken waits on, for the next engine to adopt.

// Waiting for room is retried after roomRetryFirst, doubling up to
// roomRetryMax: quick when a transient shortage clears, cheap while a full
// disk waits for an operator.
const (
	roomRetryFirst = 50 * time.Millisecond
	roomRetryMax   = 2 * time.Second
)

// noRoom says whether err is a write refused for lack of room.
func noRoom(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// dirID tells a directory from another made at the same path later: the
// inode number alone may be reused once the first is removed.
type dirID struct {
	dev, ino uint64
	birth    unix.StatxTimestamp
}

func statDirID(fd int) (dirID, error) {
	var st unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_INO|unix.STATX_BTIME, &st); err != nil {
		return dirID{}, err
	}
	id := dirID{dev: uint64(st.Dev_major)<<32 | uint64(st.Dev_minor), ino: st.Ino}
	if st.Mask&unix.STATX_BTIME != 0 {
		id.birth = st.Btime
	}
	return id, nil
}

// roomWait is a step that waits for room for its claim: the error its
// claim met, and which directory it is to claim (taken at once, before
// the next request is read, so a directory made again later is told
// apart).
type roomWait struct {
	first error
	id    dirID
	idErr error
}

// newRoomWait notes the directory of r, whose claim met first.
func newRoomWait(r request, first error) *roomWait {
	w := &roomWait{first: first}
	fd, err := unix.Open(r.Dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		w.idErr = err
		return w
	}
	w.id, w.idErr = statDirID(fd)
	_ = unix.Close(fd)
	return w
}

// awaitRoom takes the step of r once its directory's disk has room for
// the claim that first failed. It returns the record taken (nil and no
// result: another supervisor took the step, follow it), or a result when
// the step will not run: killed, past its deadline, or the engine gone.
func (s *server) awaitRoom(r request, w *roomWait, kill <-chan string) (*stepRecord, *Result, error) {
	switch {
	case errors.Is(w.idErr, fs.ErrNotExist):
		return nil, nil, errNoSpec(r.Dir)
	case w.idErr != nil:
		return nil, nil, fmt.Errorf("taking the step directory %s: %w", r.Dir, w.idErr)
	}
	wt := s.newRoomWaiter(r, r.Spec, kill, false)
	defer wt.done()
	why := w.first
	for {
		if res := wt.wait(why); res != nil {
			return nil, res, nil
		}
		rec, err := takeSame(r, w.id)
		if !noRoom(err) {
			return rec, nil, err
		}
		why = err
	}
}

// roomWaiter pauses a step that found no room on its disk, until it may
// have room again: first roomRetryFirst, doubling up to roomRetryMax. It
// tells the engine why the step waits, once, and when it no longer does.
type roomWaiter struct {
	s        *server
	key, dir string
	spec     *Spec // for its deadline; nil: none known
	kill     <-chan string
	// gone ends the wait when the engine goes, for a step not yet taken:
	// the next engine finds it never started. A step this supervisor took
	// waits on (nil), for the next engine to adopt.
	gone  <-chan struct{}
	pause time.Duration
	told  bool
	late  *time.Timer // the step's deadline, once a wait began
}

// newRoomWaiter is a waiter for the step of r whose spec is spec; taken
// says this supervisor holds its claim.
func (s *server) newRoomWaiter(r request, spec *Spec, kill <-chan string, taken bool) *roomWaiter {
	w := &roomWaiter{s: s, key: r.Key, dir: r.Dir, spec: spec, kill: kill, pause: roomRetryFirst}
	if !taken {
		w.gone = s.gone
	}
	return w
}

// wait pauses after why (a write refused for lack of room). It returns
// nil when the step should try again, or the result of a step that will
// not run: killed, past its deadline, or its engine gone. Such a step
// never started: its result has no start time.
func (w *roomWaiter) wait(why error) *Result {
	if !w.told {
		w.told = true
		fmt.Fprintf(os.Stderr, "semaflow exec: step %s waits for room on its disk: %v\n", w.key, why)
		w.s.send(notice{Key: w.key, Event: "waiting", Message: fmt.Sprintf("its disk has no room for its files (%v); it starts once there is", why)})
		if w.spec != nil && !w.spec.Deadline.IsZero() {
			w.late = time.NewTimer(time.Until(w.spec.Deadline))
		}
	}
	var late <-chan time.Time
	if w.late != nil {
		late = w.late.C
	}
	t := time.NewTimer(w.pause)
	defer t.Stop()
	w.pause = min(2*w.pause, roomRetryMax)
	ended := func(killed string) *Result { return &Result{ExitCode: -1, Killed: killed, Finished: time.Now()} }
	select {
	case reason := <-w.kill:
		return ended(reason)
	case <-late:
		return ended(w.spec.DeadlineMessage)
	case <-w.gone:
		return notStarted("not started: the engine went away while the disk of %s had no room for the step's files", w.dir)
	case <-t.C:
		return nil
	}
}

// done ends the waits: it stops the deadline's timer, and tells the
// engine and the log that a step that waited no longer does.
func (w *roomWaiter) done() {
	if w.late != nil {
		w.late.Stop()
	}
	if w.told {
		fmt.Fprintf(os.Stderr, "semaflow exec: step %s no longer waits for room\n", w.key)
		w.s.send(notice{Key: w.key, Event: "waiting"})
	}
}

// takeSame is take for the directory id only: one removed and made again
// since is the engine's to start anew, not this request's.
func takeSame(r request, id dirID) (*stepRecord, error) {
	fd, err := unix.Open(r.Dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNoSpec(r.Dir)
	}
	if err != nil {
		return nil, fmt.Errorf("taking the step directory %s: %w", r.Dir, err)
	}
	defer func() { _ = unix.Close(fd) }()
	if now, err := statDirID(fd); err != nil || now != id {
		return nil, errNoSpec(r.Dir)
	}
	return createRecord(fd, r.Dir, selfIdentity())
}
