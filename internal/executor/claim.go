package executor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// A step is taken once. After an engine restart under load, the old
// supervisor can still hold a request for a step whose grace ran out in
// the new engine's NeverStarted, which then has it started again: two
// supervisors would run it. So whoever takes a step directory first
// records it as the first line of StateFile (state.go), which appears
// only if it does not exist; a supervisor that finds it there does not
// run the step but follows the one that does, and NeverStarted records
// its verdict the same way, so a request taken after it is not run either.

// neverStartedMark begins the claim NeverStarted leaves in a step
// directory it reports: no supervisor runs that step, and none will.
const neverStartedMark = "never-started"

// claimSeq tells apart the temporary files of one process's claims.
var claimSeq atomic.Uint64

// claimRecord records who as the taker of the step in dir, if no one took
// it before, and returns the record open for the step's later records
// (nil: someone took it before).
func claimRecord(dir, who string) (*stepRecord, error) {
	dirFd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("taking the step directory %s: %w", dir, err)
	}
	defer func() { _ = unix.Close(dirFd) }()
	return createRecord(dirFd, dir, who)
}

// claim is claimRecord for a claim that writes nothing after it.
func claim(dir, who string) (bool, error) {
	rec, err := claimRecord(dir, who)
	rec.close()
	return rec != nil, err
}

// release undoes this supervisor's claim on dir, for a step it took but
// found no spec in.
func release(dir string) { removeClaim(dir) }

// fenced says whether the claim in dir is NeverStarted's.
func fenced(dir string) bool {
	st, err := readState(dir)
	return err == nil && isNeverStarted(st.claim)
}

// fence records that the step in dir never started, unless a supervisor
// took it first; it says whether the step counts as never started.
func fence(dir string) bool {
	mark := neverStartedMark + " " + time.Now().UTC().Format(time.RFC3339Nano)
	if exists(filepath.Join(dir, SpecFile)) && !fenceLegacy(dir, mark) {
		return false // an older supervisor took it
	}
	won, err := claim(dir, mark)
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

// fenceLegacy fences a job an older engine wrote (its spec in SpecFile)
// the way an older supervisor claims: by linking PidFile into place, which
// that supervisor checks. It says whether the fence holds.
func fenceLegacy(dir, mark string) bool {
	tmp := filepath.Join(dir, fmt.Sprintf("%s.%d.%d.tmp", PidFile, os.Getpid(), claimSeq.Add(1)))
	if err := os.WriteFile(tmp, []byte(mark), 0o600); err != nil {
		return true // no supervisor can take it either
	}
	defer func() { _ = os.Remove(tmp) }()
	err := os.Link(tmp, filepath.Join(dir, PidFile))
	if err == nil || !errors.Is(err, fs.ErrExist) {
		return true
	}
	b, err := os.ReadFile(filepath.Join(dir, PidFile))
	return err == nil && isNeverStarted(string(b))
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
func follow(dir string, kill <-chan string, started func(), run func(*stepRecord) (*Result, bool)) (res *Result, own bool) {
	var killed string
	announced := false
	for pause := 5 * time.Millisecond; ; pause = min(2*pause, 100*time.Millisecond) {
		st, err := readState(dir)
		if err == nil && st.result != nil {
			return withKilled(st.result, killed), false
		}
		switch {
		case errors.Is(err, fs.ErrNotExist):
			rec, err := claimRecord(dir, selfIdentity())
			if err != nil {
				return notStarted("%v", err), false
			}
			if rec != nil {
				return run(rec)
			}
			continue
		case err == nil && isNeverStarted(st.claim):
			return notStarted("%s", NeverStartedMessage), false
		case err == nil && !alive(st.claim):
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
		if !announced && st.group != nil {
			announced = true
			started()
		}
		if killed != "" {
			killRecorded(dir)
		}
		select {
		case reason := <-kill:
			killed = reason
			killRecorded(dir)
		case <-time.After(pause):
		}
	}
}

// killRecorded kills what is left of the process group recorded in the
// step directory dir, if any was, and returns the processes it found.
func killRecorded(dir string) []int {
	if g, err := readGroup(dir); err == nil && (g.Boot == "" || g.Boot == bootID()) {
		pids, _ := g.kill()
		return pids
	}
	return nil
}
