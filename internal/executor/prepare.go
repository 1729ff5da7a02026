package executor

import (
	"path/filepath"

	"golang.org/x/sys/unix"
)

// prepSlots bounds the directories being made ahead at once: a wide
// fan-out must not start a goroutine per step, and a step whose
// directories are not made ahead has them made at its start as before.
var prepSlots = make(chan struct{}, 2)

// Prepare makes a step's directory, and the tmp and work its supervisor
// would make, on a goroutine of its own, so that making them overlaps
// the commit that stores the step Pending instead of following it:
// creating inodes is most of a step's start on ext4. It never waits:
// with no slot free it does nothing. The directories are the step's own,
// new, and empty, as openStepDirs requires of them (it narrows their mode
// and gives them their owner on its handles, as for any that it finds
// there); Start and the supervisor take them as they find them, so a
// preparation that comes late, or fails, changes nothing.
func (l *Local) Prepare(dir string) {
	// Not while a removal waits for the preparations (WaitPrepared).
	if !l.prep.TryRLock() {
		return
	}
	select {
	case prepSlots <- struct{}{}:
	default:
		l.prep.RUnlock()
		return
	}
	go func() {
		defer l.prep.RUnlock()
		defer func() { <-prepSlots }()
		if makeStepDir(dir) != nil {
			return
		}
		_ = unix.Mkdir(filepath.Join(dir, TmpDir), 0o700)
		_ = unix.Mkdir(filepath.Join(dir, WorkDir), 0o700)
	}()
}

// WaitPrepared returns once no preparation is under way: one that came
// late must not make a directory again after the engine removed it (a
// deleted workflow's, a retried step's).
func (l *Local) WaitPrepared() {
	l.prep.Lock()
	defer l.prep.Unlock()
}
