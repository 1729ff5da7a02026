package executor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// A step is taken once. After an engine restart under load, the old
// supervisor can still hold a request for a step whose grace ran out in
// the new engine's NeverStarted, which then has it started again: two
// supervisors would run it. So whoever takes a step directory first
// records it in PidFile, created only if it does not exist; a supervisor
// that finds it there does not run the step but follows the one that
// does, and NeverStarted records its verdict the same way, so a request
// taken after it is not run either.

// neverStartedMark begins the PidFile NeverStarted leaves in a step
// directory it reports: no supervisor runs that step, and none will.
const neverStartedMark = "never-started"

// claimSeq tells apart the temporary files of one process's claims.
var claimSeq atomic.Uint64

// claim records who as the taker of the step in dir, if no one took it
// before. The record is written aside and hard-linked into place: the
// link fails if PidFile exists, and a reader never sees it half written.
func claim(dir, who string) (bool, error) {
	tmp := filepath.Join(dir, fmt.Sprintf("%s.%d.%d.tmp", PidFile, os.Getpid(), claimSeq.Add(1)))
	if err := os.WriteFile(tmp, []byte(who), 0o600); err != nil {
		return false, fmt.Errorf("taking the step directory %s: %w", dir, err)
	}
	defer func() { _ = os.Remove(tmp) }()
	err := os.Link(tmp, filepath.Join(dir, PidFile))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrExist):
		return false, nil
	default:
		return false, fmt.Errorf("taking the step directory %s: %w", dir, err)
	}
}

// release undoes this supervisor's claim on dir, for a step it took but
// found no spec in.
func release(dir string) {
	path := filepath.Join(dir, PidFile)
	if b, err := os.ReadFile(path); err == nil && string(b) == selfIdentity() {
		_ = os.Remove(path)
	}
}

// fenced says whether the record in dir is NeverStarted's.
func fenced(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, PidFile))
	return err == nil && strings.HasPrefix(string(b), neverStartedMark)
}

// fence records that the step in dir never started, unless a supervisor
// took it first; it says whether the step counts as never started.
func fence(dir string) bool {
	won, err := claim(dir, neverStartedMark+" "+time.Now().UTC().Format(time.RFC3339Nano))
	switch {
	case err != nil:
		// No supervisor can take it either, or the engine's own removal
		// of the directory does what the record would.
		fmt.Fprintf(os.Stderr, "semaflow: %v: the step is started again\n", err)
		return true
	case won:
		return true
	}
	return fenced(dir)
}

// notStarted is the result of a step a supervisor could not take.
func notStarted(format string, a ...any) *Result {
	now := time.Now()
	return &Result{ExitCode: -1, Started: now, Finished: now, StartError: fmt.Sprintf(format, a...)}
}

// NeverStartedMessage is the StartError reported for a step NeverStarted
// gave up on, by a supervisor that was handed it after that.
const NeverStartedMessage = "not started: the engine that took over found it never started and starts it again"

// follow waits for the step in dir, which another supervisor took, and
// returns its outcome without touching that supervisor's records. A
// kill is carried out on the step's recorded process group. If the
// other supervisor gives the step back (it found no spec), this one
// takes it and returns what run returns.
func follow(dir string, kill <-chan string, started func(), run func() (*Result, bool)) (res *Result, own bool) {
	pidPath, groupPath := filepath.Join(dir, PidFile), filepath.Join(dir, GroupFile)
	var killed string
	announced := false
	for pause := 5 * time.Millisecond; ; pause = min(2*pause, 100*time.Millisecond) {
		if r, err := ReadResult(dir); err == nil {
			if killed != "" && r.Killed == "" && r.ExitCode == 128+int(syscall.SIGKILL) {
				r.Killed = killed
			}
			return r, false
		}
		b, err := os.ReadFile(pidPath)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			won, err := claim(dir, selfIdentity())
			if err != nil {
				return notStarted("%v", err), false
			}
			if won {
				return run()
			}
			continue
		case err == nil && strings.HasPrefix(string(b), neverStartedMark):
			return notStarted("%s", NeverStartedMessage), false
		case err == nil && !alive(string(b)):
			// Its supervisor died: it may have written the result just
			// before; else what is left of the step dies first.
			if r, err := ReadResult(dir); err == nil {
				return r, false
			}
			if reapGroup(dir, nil) == noGroup {
				return Lost(), false
			}
			return supervisorDied(), false
		}
		if !announced && exists(groupPath) {
			announced = true
			started()
		}
		if killed != "" {
			killRecorded(groupPath)
		}
		select {
		case reason := <-kill:
			killed = reason
			killRecorded(groupPath)
		case <-time.After(pause):
		}
	}
}

// killRecorded kills what is left of the process group recorded in path,
// if any was, and returns the processes it found.
func killRecorded(path string) []int {
	if g, err := readGroup(path); err == nil && (g.Boot == "" || g.Boot == bootID()) {
		pids, _ := g.kill()
		return pids
	}
	return nil
}
