package executor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Supervise runs the step described in dir/spec.json and writes
// dir/result.json. It is the body of `semaflow exec`.
func Supervise(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, SpecFile))
	if err != nil {
		return err
	}
	var spec Spec
	if err := json.Unmarshal(b, &spec); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(dir, SpecFile), err)
	}
	// Binding the step's tmp over /tmp may hide dir itself (a data dir
	// under /tmp); an open handle keeps it reachable through /proc.
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	res := run(fmt.Sprintf("/proc/self/fd/%d", d.Fd()), &spec)
	res.Finished = time.Now()
	return writeJSON(filepath.Join(fmt.Sprintf("/proc/self/fd/%d", d.Fd()), ResultFile), res)
}

func run(dir string, spec *Spec) *Result {
	res := &Result{Started: time.Now()}
	tmp := filepath.Join(dir, TmpDir)
	env := append([]string{}, spec.Env...)
	// The script must be reachable by the step after exec, when the /proc
	// handle is gone: it goes to the step's own /tmp.
	scriptDir, scriptPath := filepath.Join(tmp, ".semaflow"), "/tmp/.semaflow/script"
	if err := privateTmp(spec.PrivateTmp, tmp); err != nil {
		real, rerr := filepath.EvalSymlinks(tmp)
		if rerr != nil {
			real = tmp
		}
		env = append(env, "TMPDIR="+real)
		scriptPath = filepath.Join(real, ".semaflow", "script")
	}
	for path, content := range spec.InputFiles {
		if err := writeInput(path, content); err != nil {
			res.StartError = fmt.Sprintf("input artifact %s: %v", path, err)
			return res
		}
	}
	argv := append([]string{}, spec.Command...)
	if spec.Script != "" {
		if err := os.MkdirAll(scriptDir, 0o755); err != nil {
			res.StartError = err.Error()
			return res
		}
		if err := os.WriteFile(filepath.Join(scriptDir, "script"), []byte(spec.Script), 0o700); err != nil {
			res.StartError = err.Error()
			return res
		}
		argv = append(argv, scriptPath)
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
	outf, err := os.Create(filepath.Join(dir, StdoutFile))
	if err != nil {
		res.StartError = err.Error()
		return res
	}
	defer outf.Close()
	wd := spec.WorkingDir
	if wd == "" {
		wd = filepath.Join(dir, WorkDir)
		if err := os.MkdirAll(wd, 0o755); err == nil {
			if real, err := filepath.EvalSymlinks(wd); err == nil {
				wd = real
			}
		}
	}
	if err := os.MkdirAll(wd, 0o755); err != nil {
		res.StartError = fmt.Sprintf("workingDir %s: %v", wd, err)
		return res
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = wd
	cmd.Env = env
	cmd.Stdout = io.MultiWriter(outf, logf)
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	if err := cmd.Start(); err != nil {
		res.StartError = startError(argv[0], err)
		return res
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var timer <-chan time.Time
	if !spec.Deadline.IsZero() {
		timer = time.After(time.Until(spec.Deadline))
	}
	var werr error
	select {
	case werr = <-done:
	case <-timer:
		res.Killed = spec.DeadlineMessage
		werr = killGroup(cmd, done)
	case <-sigs:
		res.Killed = "terminated"
		if b, err := os.ReadFile(filepath.Join(dir, KillFile)); err == nil && len(b) > 0 {
			res.Killed = strings.TrimSpace(string(b))
		}
		werr = killGroup(cmd, done)
	}
	res.ExitCode = exitCode(werr)
	res.Stdout, res.Truncated = readCapped(filepath.Join(dir, StdoutFile))
	readOutputs(spec, res)
	return res
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

func readCapped(path string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	var buf bytes.Buffer
	n, _ := io.CopyN(&buf, f, MaxResult+1)
	if n > MaxResult {
		return buf.String()[:MaxResult], true
	}
	return buf.String(), false
}

func readOutputs(spec *Spec, res *Result) {
	for _, o := range spec.Outputs {
		b, err := os.ReadFile(o.Path)
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
