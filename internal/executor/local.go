package executor

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Job is one step to run.
type Job struct {
	// Key identifies the step to the caller (for example "<wf uid>/<node id>").
	Key  string
	Dir  string
	Spec Spec
}

// Local runs jobs through one supervisor process and reports each result
// through Done, from the goroutine that reads the supervisor's notices.
// No method waits on the supervisor's pipe: requests queue in an outbox,
// and the notice reader takes l.mu only for map updates, so a burst far
// larger than a pipe's buffer cannot deadlock the two processes.
type Local struct {
	// Self is the semaflow binary; the supervisor is `Self exec --serve`.
	Self string
	// Started, when set, is called when a step's process is running, with
	// the time it started.
	Started func(key string, at time.Time)
	Done    func(key string, r *Result)
	// Waiting, when set, is called when a step cannot start yet and waits
	// (its disk has no room for its records), with why; set it before the
	// first Start (SetWaiting).
	Waiting func(key, why string)
	// Env is the supervisor's environment; nil means this process's. A
	// server gives it the minimal one: a step run as the supervisor's own
	// user can read the supervisor's /proc/PID/environ.
	Env []string
	// Isolation is passed to the supervisor as flags.
	Isolation Isolation

	mu  sync.Mutex
	sup *supervisor // the one new steps go to; nil before the first, and once it is gone
	// quit closes on Close or Detach: it ends the wait for the processes
	// of a dead supervisor's steps that will not die (their locks stay
	// held; the next engine tries again).
	quit     chan struct{}
	quitOnce sync.Once
}

// supervisor is one `exec --serve` process and the steps given to it.
type supervisor struct {
	cmd  *exec.Cmd
	out  *outbox
	dirs map[string]string // key -> step dir, of steps not yet reported; Local.mu guards it
	// env is the environment base declared to the process (envbase.go),
	// last the previous job's environment; Local.mu guards both.
	env, last []string
	// exited is closed once the process has exited and was reaped; err is
	// what Wait said.
	exited chan struct{}
	err    error
}

// flushGrace bounds how long Detach lets queued requests reach the
// supervisor; a request still queued after that is a step the next engine
// finds never started and runs again.
const flushGrace = 2 * time.Second

// Start makes the job's directory and hands the job to the supervisor,
// spec and all: nothing else is written here. It does not wait for the
// supervisor to read the request. j.Dir must be new, or emptied since its
// last run: a supervisor that finds it taken follows the step recorded
// there instead of running this one; one that finds it gone does not run
// the job (NeverStarted's caller removed it).
func (l *Local) Start(j Job) error {
	if err := makeStepDir(j.Dir); err != nil {
		return err
	}
	spec := j.Spec
	l.mu.Lock()
	defer l.mu.Unlock()
	var err error
	// A supervisor whose pipe broke is retired; one fresh start is tried.
	for range 2 {
		var s *supervisor
		if s, err = l.ensure(); err != nil {
			return err
		}
		s.dirs[j.Key] = j.Dir
		r := request{Op: "start", Key: j.Key, Dir: j.Dir, Spec: &spec}
		if err = s.sendStart(r, j.Spec.Env); err == nil {
			return nil
		}
		delete(s.dirs, j.Key)
		l.sup = nil
	}
	return fmt.Errorf("the step supervisor is gone: %w", err)
}

// SetWaiting sets Waiting, for a caller that got l as an engine Executor.
func (l *Local) SetWaiting(fn func(key, why string)) { l.Waiting = fn }

// makeStepDir makes dir, 0700, and its parents if they are missing: one
// system call for all but a workflow's first step.
func makeStepDir(dir string) error {
	err := os.Mkdir(dir, 0o700)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(filepath.Dir(dir), 0o700); err == nil {
			err = os.Mkdir(dir, 0o700)
		}
	}
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// ensure starts the supervisor on first use; l.mu is held.
func (l *Local) ensure() (*supervisor, error) {
	if l.sup != nil {
		return l.sup, nil
	}
	cmd := exec.Command(l.Self, append([]string{"exec", "--serve"}, l.Isolation.args()...)...)
	cmd.Env = l.Env
	// Its own session: a Ctrl-C aimed at the engine does not kill it, so
	// the engine decides what happens to running steps.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the step supervisor %s: %w", l.Self, err)
	}
	s := &supervisor{cmd: cmd, out: newOutbox(in), dirs: map[string]string{}, exited: make(chan struct{})}
	l.sup = s
	go l.read(s, out)
	return s, nil
}

// read handles s's notices until it exits, then reaps it. It never waits
// on a writer: l.mu is only held for map updates, and callbacks run
// without it.
func (l *Local) read(s *supervisor, out io.Reader) {
	// Lines have no length limit: an exited notice carries the step's
	// outputs, which a scanner's token cap could refuse.
	br := bufio.NewReaderSize(out, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			l.handle(s, line)
		}
		if err != nil {
			break
		}
	}
	// The supervisor is gone: every step it still had is lost to it.
	l.mu.Lock()
	lost := s.dirs
	s.dirs = map[string]string{}
	if l.sup == s {
		l.sup = nil
	}
	quit := l.quitLocked()
	l.mu.Unlock()
	s.out.close()
	// Its stdout is at EOF, so it has exited (or is about to): reap it,
	// exactly once, here. Once reaped, it can write no more results, and
	// its steps have had their parent-death signal.
	s.err = s.cmd.Wait()
	close(s.exited)
	for key, dir := range lost {
		go l.settle(key, dir, quit)
	}
}

// settle reports a step whose supervisor died: its result if it ended
// before, else its death once none of its processes runs. Until that is
// known it reports nothing, so the step's locks stay held.
func (l *Local) settle(key, dir string, quit <-chan struct{}) {
	r, err := ReadResult(dir)
	if err != nil && supervised(dir) {
		// Another supervisor took the step (claim.go): it runs it still.
		if r = Adopt(dir, quit, nil); r == nil {
			return
		}
	} else if err != nil {
		switch reapGroup(dir, quit) {
		case groupHeld:
			return
		case noGroup:
			now := time.Now()
			r = &Result{ExitCode: -1, Started: now, Finished: now, StartError: "the step supervisor died before the step started"}
		case groupDead:
			r = supervisorDied()
		}
	}
	if l.Done != nil {
		l.Done(key, r)
	}
}

// quitLocked is quit, made on first use; l.mu is held.
func (l *Local) quitLocked() chan struct{} {
	if l.quit == nil {
		l.quit = make(chan struct{})
	}
	return l.quit
}

// stopSettling ends every wait of settle.
func (l *Local) stopSettling() {
	l.mu.Lock()
	quit := l.quitLocked()
	l.mu.Unlock()
	l.quitOnce.Do(func() { close(quit) })
}

func (l *Local) handle(s *supervisor, line []byte) {
	var n notice
	if json.Unmarshal(line, &n) != nil {
		return
	}
	switch n.Event {
	case "started":
		if l.Started != nil {
			l.Started(n.Key, n.At)
		}
	case "waiting":
		if l.Waiting != nil {
			l.Waiting(n.Key, n.Message)
		}
	case "exited":
		l.mu.Lock()
		dir, ok := s.dirs[n.Key]
		delete(s.dirs, n.Key)
		l.mu.Unlock()
		if l.Done != nil {
			l.Done(n.Key, exitedResult(n, dir, ok))
		}
	}
}

// exitedResult is a finished step's outcome: the one the notice carries,
// else (a supervisor that does not send it) the step's record. The notice
// is the copy that survives a record the supervisor could not write.
func exitedResult(n notice, dir string, known bool) *Result {
	if n.Result != nil {
		return n.Result
	}
	if !known {
		return &Result{ExitCode: -1, StartError: fmt.Sprintf("the supervisor reported step %s, which it was never given", n.Key)}
	}
	r, err := ReadResult(dir)
	if err != nil {
		return &Result{ExitCode: -1, StartError: fmt.Sprintf("the step's result is unreadable: %v", err)}
	}
	return r
}

// Kill stops a running step; reason becomes its result's Killed message.
// It only queues the request.
func (l *Local) Kill(key, reason string) {
	l.mu.Lock()
	s := l.sup
	l.mu.Unlock()
	if s != nil {
		_ = s.out.send(request{Op: "kill", Key: key, Reason: reason})
	}
}

// Close tells the supervisor no more steps are coming; it exits once its
// running steps have ended. Close waits for that.
func (l *Local) Close() error {
	l.mu.Lock()
	s := l.sup
	l.sup = nil
	l.mu.Unlock()
	defer l.stopSettling()
	if s == nil {
		return nil
	}
	s.out.close()
	<-s.exited
	return s.err
}

// Detach lets the supervisor go on without this engine: it finishes the
// steps it runs and records their results, which the next engine adopts.
// Notices still arrive (and are handled) while this process lives, and
// the supervisor is reaped when it exits.
func (l *Local) Detach() {
	l.mu.Lock()
	s := l.sup
	l.sup = nil
	l.mu.Unlock()
	l.stopSettling()
	if s == nil {
		return
	}
	s.out.close()
	select {
	case <-s.out.done:
	case <-time.After(flushGrace):
	}
}

// Abort kills the supervisor at once (SIGKILL) and what runs of each of
// its steps' recorded process groups: the supervisor's death reaches
// only each step's own process, through its parent-death signal, not the
// children that process started. It waits at most abortWait for them to
// die, so a process that must end now leaves no step running behind it.
func (l *Local) Abort() AbortReport {
	l.mu.Lock()
	s := l.sup
	var dirs []string
	if s != nil {
		for _, d := range s.dirs {
			dirs = append(dirs, d)
		}
	}
	l.mu.Unlock()
	if s == nil {
		return AbortReport{}
	}
	// The groups first, while the supervisor still holds them: a step
	// init whose parent died first may take its namespace down before
	// its group is seen, and the step would not count as killed.
	return abortGroups(dirs, func() {
		if s.cmd.Process != nil {
			_ = s.cmd.Process.Kill()
		}
	})
}

// AbortSteps kills at once what runs of the process groups recorded in
// the step directories dirs, steps an earlier engine's supervisor runs
// (adopted), and waits at most abortWait for them to die, as Abort does
// for this engine's own.
func AbortSteps(dirs []string) AbortReport {
	return abortGroups(dirs, nil)
}

// abortGroups kills the groups recorded in the step directories paths,
// then calls between (if set), kills them again and waits for them to die.
func abortGroups(paths []string, between func()) AbortReport {
	killed := map[string]bool{}
	killGroups := func() {
		for _, p := range paths {
			if pids := killRecorded(p); len(pids) > 0 {
				killed[p] = true
			}
		}
	}
	killGroups()
	if between != nil {
		between()
	}
	// Again: a step that started meanwhile, or a child forked as the
	// first kill landed.
	killGroups()
	var left []int
	for deadline := time.Now().Add(abortWait); ; time.Sleep(20 * time.Millisecond) {
		left = nil
		for _, p := range paths {
			left = append(left, killRecorded(p)...)
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	return AbortReport{Killed: len(killed), Left: left}
}

// AbortReport is what Abort did: how many steps' processes it killed,
// and the pids of those it could not see die.
type AbortReport struct {
	Killed int
	Left   []int
}

// abortWait bounds how long Abort waits for the steps' processes to die.
const abortWait = time.Second
