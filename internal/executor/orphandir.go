package executor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// A supervisor whose engine went away runs its steps on, for the next
// engine to adopt by their directories. A step whose directory is then
// removed (the data directory deleted, a test's temporary directory
// cleaned up) can never be adopted, nor its result read: nothing would
// ever stop it. Such steps are killed.

// orphanCheckEvery is how often the directories are looked at.
const orphanCheckEvery = time.Second

// removedDirKill is the Killed reason of such a step.
const removedDirKill = "killed: its step directory was removed while no engine ran"

// killOrphansOfRemovedDirs kills, until ended is closed, each step whose
// directory is gone.
func (s *server) killOrphansOfRemovedDirs(ended <-chan struct{}) {
	t := time.NewTicker(orphanCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ended:
			return
		case <-t.C:
		}
		s.mu.Lock()
		dirs := make(map[string]string, len(s.dirs))
		for k, d := range s.dirs {
			dirs[k] = d
		}
		s.mu.Unlock()
		for key, dir := range dirs {
			if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintf(os.Stderr, "semaflow exec: step %s: its directory %s was removed while no engine ran: killing it\n", key, dir)
				s.kill(key, removedDirKill)
			}
		}
	}
}
