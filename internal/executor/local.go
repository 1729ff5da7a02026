package executor

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
)

// Job is one step to run.
type Job struct {
	// Key identifies the step to the caller (for example "<wf uid>/<node id>").
	Key  string
	Dir  string
	Spec Spec
}

// Local runs jobs as supervised local processes and reports each result
// through Done, from the goroutine that waited for the supervisor.
type Local struct {
	// Self is the semaflow binary; the supervisor is `Self exec DIR`.
	Self string
	Done func(key string, r *Result)

	mu      sync.Mutex
	running map[string]*exec.Cmd
	noNS    atomic.Bool
}

// Start writes the job's spec and starts its supervisor.
func (l *Local) Start(j Job) error {
	if err := os.MkdirAll(j.Dir, 0o755); err != nil {
		return err
	}
	spec := j.Spec
	spec.PrivateTmp = !l.noNS.Load()
	if err := writeJSON(filepath.Join(j.Dir, SpecFile), spec); err != nil {
		return err
	}
	cmd, err := l.spawn(j.Dir, spec.PrivateTmp)
	if err != nil && spec.PrivateTmp {
		// The host refused a mount namespace: fall back to TMPDIR for good.
		l.noNS.Store(true)
		spec.PrivateTmp = false
		if err := writeJSON(filepath.Join(j.Dir, SpecFile), spec); err != nil {
			return err
		}
		cmd, err = l.spawn(j.Dir, false)
	}
	if err != nil {
		return fmt.Errorf("starting supervisor for %s: %w", j.Key, err)
	}
	l.mu.Lock()
	if l.running == nil {
		l.running = map[string]*exec.Cmd{}
	}
	l.running[j.Key] = cmd
	l.mu.Unlock()
	go l.wait(j, cmd)
	return nil
}

func (l *Local) spawn(dir string, ns bool) (*exec.Cmd, error) {
	cmd := exec.Command(l.Self, "exec", dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if ns && !namespaceAttr(cmd.SysProcAttr) {
		return nil, errors.New("mount namespaces need root")
	}
	logf, err := os.OpenFile(filepath.Join(dir, "supervisor.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	return cmd, cmd.Start()
}

func (l *Local) wait(j Job, cmd *exec.Cmd) {
	werr := cmd.Wait()
	l.mu.Lock()
	delete(l.running, j.Key)
	l.mu.Unlock()
	r, err := ReadResult(j.Dir)
	if err != nil {
		r = &Result{ExitCode: -1, StartError: fmt.Sprintf("the step's supervisor ended without a result (%v); see %s",
			werr, filepath.Join(j.Dir, "supervisor.log"))}
		if b, rerr := os.ReadFile(filepath.Join(j.Dir, KillFile)); rerr == nil {
			r.StartError, r.Killed = "", string(b)
		}
	}
	if l.Done != nil {
		l.Done(j.Key, r)
	}
}

// Kill stops a running step: its supervisor kills the step's process
// group and records reason as the result's Killed message.
func (l *Local) Kill(key, dir, reason string) {
	_ = os.WriteFile(filepath.Join(dir, KillFile), []byte(reason), 0o600)
	l.mu.Lock()
	cmd := l.running[key]
	l.mu.Unlock()
	if cmd != nil && cmd.Process != nil {
		_ = cmd.Process.Signal(syscall.SIGTERM)
	}
}

// Running reports how many supervisors are alive.
func (l *Local) Running() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.running)
}
