package executor

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
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
type Local struct {
	// Self is the semaflow binary; the supervisor is `Self exec --serve`.
	Self string
	// Started, when set, is called when a step's process is running, with
	// the time it started.
	Started func(key string, at time.Time)
	Done    func(key string, r *Result)
	// Env is the supervisor's environment; nil means this process's. A
	// server gives it the minimal one: a step run as the supervisor's own
	// user can read the supervisor's /proc/PID/environ.
	Env []string
	// Isolation is passed to the supervisor as flags.
	Isolation Isolation

	mu      sync.Mutex
	cmd     *exec.Cmd
	in      io.WriteCloser
	enc     *json.Encoder
	dirs    map[string]string
	readErr chan struct{}
}

// Start writes the job's spec and hands it to the supervisor.
func (l *Local) Start(j Job) error {
	if err := os.MkdirAll(j.Dir, 0o700); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(j.Dir, SpecFile), j.Spec); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.ensure(); err != nil {
		return err
	}
	l.dirs[j.Key] = j.Dir
	if err := l.enc.Encode(request{Op: "start", Key: j.Key, Dir: j.Dir}); err != nil {
		delete(l.dirs, j.Key)
		return fmt.Errorf("the step supervisor is gone: %w", err)
	}
	return nil
}

// ensure starts the supervisor on first use; l.mu is held.
func (l *Local) ensure() error {
	if l.cmd != nil {
		return nil
	}
	cmd := exec.Command(l.Self, append([]string{"exec", "--serve"}, l.Isolation.args()...)...)
	cmd.Env = l.Env
	// Its own session: a Ctrl-C aimed at the engine does not kill it, so
	// the engine decides what happens to running steps.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the step supervisor %s: %w", l.Self, err)
	}
	l.cmd, l.in, l.enc, l.dirs = cmd, in, json.NewEncoder(in), map[string]string{}
	l.readErr = make(chan struct{})
	go l.read(out)
	return nil
}

func (l *Local) read(out io.Reader) {
	defer close(l.readErr)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var n notice
		if json.Unmarshal(sc.Bytes(), &n) != nil {
			continue
		}
		l.mu.Lock()
		dir := l.dirs[n.Key]
		if n.Event == "exited" {
			delete(l.dirs, n.Key)
		}
		l.mu.Unlock()
		switch n.Event {
		case "started":
			if l.Started != nil {
				l.Started(n.Key, n.At)
			}
		case "exited":
			r, err := ReadResult(dir)
			if err != nil {
				r = &Result{ExitCode: -1, StartError: fmt.Sprintf("the step's result is unreadable: %v", err)}
			}
			if l.Done != nil {
				l.Done(n.Key, r)
			}
		}
	}
	// The supervisor died: every step it had is lost to this engine.
	l.mu.Lock()
	lost := l.dirs
	l.dirs = map[string]string{}
	l.cmd = nil
	l.mu.Unlock()
	for key := range lost {
		if l.Done != nil {
			l.Done(key, &Result{ExitCode: -1, StartError: "the step supervisor exited unexpectedly"})
		}
	}
}

// Kill stops a running step; reason becomes its result's Killed message.
func (l *Local) Kill(key, reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.enc != nil && l.cmd != nil {
		_ = l.enc.Encode(request{Op: "kill", Key: key, Reason: reason})
	}
}

// Close tells the supervisor no more steps are coming; it exits once its
// running steps have ended. Close waits for that.
func (l *Local) Close() error {
	l.mu.Lock()
	cmd, in, done := l.cmd, l.in, l.readErr
	l.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = in.Close()
	<-done
	return cmd.Wait()
}

// Detach lets the supervisor go on without this engine: it finishes the
// steps it runs and records their results, which the next engine adopts.
func (l *Local) Detach() {
	l.mu.Lock()
	in := l.in
	l.cmd = nil
	l.mu.Unlock()
	if in != nil {
		_ = in.Close()
	}
}
