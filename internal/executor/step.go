package executor

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// runStep runs one step to completion and returns its result. kill
// delivers a reason to stop the step early; started is called once the
// process runs.
func runStep(dir string, spec *Spec, private bool, kill <-chan string, started func()) *Result {
	res := &Result{Started: time.Now()}
	tmp := filepath.Join(dir, TmpDir)
	if err := os.MkdirAll(filepath.Join(tmp, ".semaflow"), 0o777); err != nil {
		res.StartError = err.Error()
		return res
	}
	_ = os.Chmod(tmp, 0o1777)
	view := stepView{tmp: tmp, private: private}
	for path, content := range spec.InputFiles {
		if err := writeInput(view.host(path), content); err != nil {
			res.StartError = fmt.Sprintf("input artifact %s: %v", path, err)
			return res
		}
	}
	argv := append([]string{}, spec.Command...)
	if spec.Script != "" {
		if err := os.WriteFile(filepath.Join(tmp, ".semaflow", "script"), []byte(spec.Script), 0o755); err != nil {
			res.StartError = err.Error()
			return res
		}
		argv = append(argv, view.step("/tmp/.semaflow/script"))
	}
	if len(argv) == 0 {
		res.StartError = "the template has neither a command nor args to run"
		return res
	}
	argv[0] = resolveProgram(argv[0])
	logf, err := os.Create(filepath.Join(dir, LogFile))
	if err != nil {
		res.StartError = err.Error()
		return res
	}
	defer logf.Close()
	stdout := &stdoutSink{log: logf}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append([]string{}, spec.Env...)
	if !private {
		cmd.Env = append(cmd.Env, "TMPDIR="+tmp)
	}
	cmd.Stdout = stdout
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var wdHandle *os.File
	if spec.WorkingDir != "" {
		cmd.Dir = spec.WorkingDir
		if err := os.MkdirAll(view.host(spec.WorkingDir), 0o755); err != nil {
			res.StartError = fmt.Sprintf("workingDir %s: %v", spec.WorkingDir, err)
			return res
		}
	} else {
		wd := filepath.Join(dir, WorkDir)
		if err := os.MkdirAll(wd, 0o755); err != nil {
			res.StartError = err.Error()
			return res
		}
		// The step's own /tmp may hide a data dir under /tmp; a handle
		// reaches it from inside the step's mount namespace.
		if wdHandle, err = os.Open(wd); err != nil {
			res.StartError = err.Error()
			return res
		}
		defer wdHandle.Close()
		cmd.Dir = fmt.Sprintf("/proc/self/fd/%d", wdHandle.Fd())
		if !private {
			cmd.Dir = wd
		}
	}
	if private {
		err = startPrivate(cmd, tmp)
	} else {
		err = cmd.Start()
	}
	if err != nil {
		res.StartError = startError(argv[0], err)
		return res
	}
	started()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var timer <-chan time.Time
	if !spec.Deadline.IsZero() {
		t := time.NewTimer(time.Until(spec.Deadline))
		defer t.Stop()
		timer = t.C
	}
	var werr error
	select {
	case werr = <-done:
	case <-timer:
		res.Killed = spec.DeadlineMessage
		werr = killGroup(cmd, done)
	case reason := <-kill:
		res.Killed = reason
		werr = killGroup(cmd, done)
	}
	res.Finished = time.Now()
	res.ExitCode = exitCode(werr)
	// Wait has returned, so the copy into stdout is over.
	res.Stdout, res.Truncated = string(stdout.kept), stdout.truncated
	readOutputs(spec, view, res)
	return res
}

// stepView maps paths as the step sees them to paths on the host.
type stepView struct {
	tmp     string
	private bool
}

func (v stepView) host(path string) string {
	if v.private && (path == "/tmp" || strings.HasPrefix(path, "/tmp/")) {
		return filepath.Join(v.tmp, strings.TrimPrefix(path, "/tmp"))
	}
	return path
}

// step is the path a step uses for a file the supervisor put in its /tmp.
func (v stepView) step(path string) string {
	if v.private {
		return path
	}
	return filepath.Join(v.tmp, strings.TrimPrefix(path, "/tmp"))
}

// killGroup kills the step's whole process group and reaps the step.
func killGroup(cmd *exec.Cmd, done <-chan error) error {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	return <-done
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return -1
}

func startError(prog string, err error) string {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
		return fmt.Sprintf("executable %q not found: install it or put it on PATH", prog)
	}
	return fmt.Sprintf("cannot start %q: %v", prog, err)
}

// resolveProgram maps `python` to `python3` where only the latter exists.
func resolveProgram(prog string) string {
	if prog == "python" {
		if _, err := exec.LookPath("python"); err != nil {
			if _, err := exec.LookPath("python3"); err == nil {
				return "python3"
			}
		}
	}
	return prog
}

func writeInput(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}

func readOutputs(spec *Spec, view stepView, res *Result) {
	for _, o := range spec.Outputs {
		b, err := os.ReadFile(view.host(o.Path))
		switch {
		case err == nil:
			if res.Outputs == nil {
				res.Outputs = map[string]string{}
			}
			res.Outputs[o.Name] = string(b)
		case o.Default != nil:
			if res.Outputs == nil {
				res.Outputs = map[string]string{}
			}
			res.Outputs[o.Name] = *o.Default
		default:
			if res.Missing == nil {
				res.Missing = map[string]string{}
			}
			res.Missing[o.Name] = fmt.Sprintf("cannot read %s: %v", o.Path, errors.Unwrap(err))
		}
	}
}
