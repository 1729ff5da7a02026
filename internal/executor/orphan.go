package executor

import (
	"os"
	"slices"
	"syscall"
	"time"
)

// Adopt follows a step started by an earlier engine. It returns the
// step's result once there is one: at once if the step already ended,
// after polling if its supervisor still runs it. If no supervisor is left
// to finish it, what is left of the step's processes is killed first
// (group.go), and the result says the step was killed; a step that never
// got a process is Lost. It returns nil when stop closes first, also while
// the step's processes will not die: their locks stay held.
//
// A reason on kill kills the step: its recorded process group is killed
// (with the identity checks of group.go), again at every poll until a
// result comes, since the old supervisor may record the group only after
// the kill. The supervisor, if alive, then records the step's end, whose
// result carries the reason; the earlier engine's pipe, through which a
// kill would have gone, is gone.
func Adopt(dir string, stop <-chan struct{}, kill <-chan string) *Result {
	r := adopt(dir, stop, kill)
	if r != nil {
		// Its supervisor may have died before removing them.
		dropEmptyDirs(dir)
	}
	return r
}

func adopt(dir string, stop <-chan struct{}, kill <-chan string) *Result {
	var killed string
	// A killed step's result may be written as soon as its first process
	// dies: the rest of its group is dead too before the step is
	// reported ended, as for a step this engine started.
	ended := func(r *Result) *Result {
		if killed != "" {
			reapGroup(dir, stop)
		}
		return withKilled(r, killed)
	}
	for {
		if r, err := ReadResult(dir); err == nil {
			return ended(r)
		}
		if !supervised(dir) {
			// The supervisor may have written the result just before it
			// exited: look once more.
			if r, err := ReadResult(dir); err == nil {
				return ended(r)
			}
			switch reapGroup(dir, stop) {
			case groupDead:
				r := supervisorDied()
				if killed != "" {
					r.Killed = killed
				}
				return r
			case noGroup:
				return Lost()
			default:
				return nil
			}
		}
		if killed != "" {
			killRecorded(dir)
		}
		select {
		case reason := <-kill:
			if killed == "" {
				killed = reason
			}
			killRecorded(dir)
		case <-stop:
			// A kill asked for as the run ended (its engine lost its
			// session) is still carried out, once.
			select {
			case <-kill:
				killRecorded(dir)
			default:
			}
			return nil
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// withKilled gives a step killed by SIGKILL after a kill was asked for
// the kill's reason, as a supervisor's own kill would.
func withKilled(r *Result, killed string) *Result {
	if killed != "" && r.Killed == "" && r.ExitCode == 128+int(syscall.SIGKILL) {
		r.Killed = killed
	}
	return r
}

// NeverStarted reports the steps among dirs that no supervisor ever took:
// no result and no supervisor's record (claim.go). A job written into a
// dead engine's pipe is still taken by its supervisor, within
// milliseconds, so a step whose directory exists (the engine makes it as
// it sends the job) is given grace to be taken before it counts as never
// started. A step it reports is fenced:
// its directory records the verdict as a supervisor's claim would, so a
// supervisor that takes the job later does not run it. The caller starts
// such a step again in a directory it removed first.
func NeverStarted(dirs []string, grace time.Duration) []string {
	var never, sent []string
	for _, dir := range dirs {
		switch {
		case taken(dir):
		case fenced(dir):
			never = append(never, dir)
		case exists(dir):
			// The engine made it as it sent the job (Local.Start).
			sent = append(sent, dir)
		default:
			never = append(never, dir)
		}
	}
	for deadline := time.Now().Add(grace); len(sent) > 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		sent = slices.DeleteFunc(sent, taken)
	}
	for _, dir := range sent {
		// A supervisor may take it even now: the record decides.
		if fence(dir) {
			never = append(never, dir)
		}
	}
	return never
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// taken says whether a supervisor took the step in dir.
func taken(dir string) bool {
	st, err := readState(dir)
	return err == nil && (st.result != nil || st.claim != "" && !isNeverStarted(st.claim))
}

// supervised says whether the supervisor recorded in dir is alive.
func supervised(dir string) bool {
	st, err := readState(dir)
	return err == nil && st.claim != "" && alive(st.claim)
}

// Lost is the result of a step no supervisor runs any more (or ever ran).
func Lost() *Result {
	now := time.Now()
	return &Result{ExitCode: -1, Started: now, Finished: now,
		StartError: "the step was lost: the engine stopped and no supervisor is running it"}
}
