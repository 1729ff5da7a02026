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

// A step whose directory's disk has no room for its claim has not started
// and has written nothing that counts: it waits for room, as the engine's
// commits do, instead of ending in Error. The engine's record of it stays
// Pending and its locks stay held meanwhile; a kill ends the wait (the
// step never runs), and so does the engine going away (the next engine
// finds the step never started and starts it again).

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
		return nil, nil, errors.New(noSpec(r.Dir).StartError)
	case w.idErr != nil:
		return nil, nil, fmt.Errorf("taking the step directory %s: %w", r.Dir, w.idErr)
	}
	fmt.Fprintf(os.Stderr, "semaflow exec: step %s waits for room on its disk: %v\n", r.Key, w.first)
	s.send(notice{Key: r.Key, Event: "waiting", Message: fmt.Sprintf("its disk has no room for its records (%v); it starts once there is", w.first)})
	var late <-chan time.Time
	if r.Spec != nil && !r.Spec.Deadline.IsZero() {
		t := time.NewTimer(time.Until(r.Spec.Deadline))
		defer t.Stop()
		late = t.C
	}
	// Never started: no start time, so the node shows none.
	ended := func(killed string) *Result {
		return &Result{ExitCode: -1, Killed: killed, Finished: time.Now()}
	}
	for pause := roomRetryFirst; ; pause = min(2*pause, roomRetryMax) {
		t := time.NewTimer(pause)
		select {
		case reason := <-kill:
			t.Stop()
			return nil, ended(reason), nil
		case <-late:
			t.Stop()
			return nil, ended(r.Spec.DeadlineMessage), nil
		case <-s.gone:
			t.Stop()
			return nil, notStarted("not started: the engine went away while the disk of %s had no room for the step's records", r.Dir), nil
		case <-t.C:
		}
		rec, err := takeSame(r, w.id)
		if !noRoom(err) {
			if err == nil {
				fmt.Fprintf(os.Stderr, "semaflow exec: step %s has room again\n", r.Key)
			}
			return rec, nil, err
		}
	}
}

// takeSame is take for the directory id only: one removed and made again
// since is the engine's to start anew, not this request's.
func takeSame(r request, id dirID) (*stepRecord, error) {
	gone := errors.New(noSpec(r.Dir).StartError)
	fd, err := unix.Open(r.Dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, gone
	}
	if err != nil {
		return nil, fmt.Errorf("taking the step directory %s: %w", r.Dir, err)
	}
	defer func() { _ = unix.Close(fd) }()
	if now, err := statDirID(fd); err != nil || now != id {
		return nil, gone
	}
	return createRecord(fd, r.Dir, selfIdentity())
}
