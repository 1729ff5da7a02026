package executor

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// A supervisor whose engine went away runs its steps on, for the next
// engine to adopt by their directories. A step whose directory is then
// removed (the data directory deleted, a test's temporary directory
// cleaned up) can never be adopted, nor its result read: nothing would
// ever stop it. Such steps are killed. A directory is held open from the
// moment the engine goes and counts as removed once it has no links left:
// one moved (the data directory renamed while no engine runs) or reached
// through a link changed since is still there, and its step runs on.

// orphanCheckEvery is how often the directories are looked at.
const orphanCheckEvery = time.Second

// removedDirKill is the Killed reason of such a step.
const removedDirKill = "killed: its step directory was removed while no engine ran"

// killOrphansOfRemovedDirs kills, until ended is closed, each step whose
// directory is removed.
func (s *server) killOrphansOfRemovedDirs(ended <-chan struct{}) {
	held := map[string]int{} // step key → its directory, open
	defer func() {
		for _, fd := range held {
			_ = unix.Close(fd)
		}
	}()
	s.mu.Lock()
	dirs := make(map[string]string, len(s.dirs))
	for k, d := range s.dirs {
		dirs[k] = d
	}
	s.mu.Unlock()
	for key, dir := range dirs {
		fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		switch err {
		case nil:
			held[key] = fd
		case unix.ENOENT:
			// Removed before its engine went.
			s.killRemoved(key, dir)
		}
		// One that cannot be opened for another reason (no file left) is
		// not followed: a kill on a guess could end a step that runs on.
	}
	t := time.NewTicker(orphanCheckEvery)
	defer t.Stop()
	for len(held) > 0 {
		select {
		case <-ended:
			return
		case <-t.C:
		}
		s.mu.Lock()
		for key, fd := range held {
			if _, running := s.dirs[key]; !running {
				_ = unix.Close(fd)
				delete(held, key)
			}
		}
		s.mu.Unlock()
		for key, fd := range held {
			var st unix.Stat_t
			if unix.Fstat(fd, &st) == nil && st.Nlink == 0 {
				s.killRemoved(key, dirs[key])
			}
		}
	}
}

func (s *server) killRemoved(key, dir string) {
	fmt.Fprintf(os.Stderr, "semaflow exec: step %s: its directory %s was removed while no engine ran: killing it\n", key, dir)
	s.kill(key, removedDirKill)
}
