package containerset

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// execFailedCode is the exit code of a container whose program cannot be
// run, as semaflow's steps (and Argo's emissary) have it.
const execFailedCode = 64

// outcome is how one container ended.
type outcome struct {
	code int
	why  string // for a failure: what the log says
}

// Run runs the plan and returns the step's exit code: 0 if every
// container exited 0; else main's code if main failed, or the first
// failed container's. stdout receives main's output, stderr everyone
// else's and the runner's own lines.
func Run(p Plan, stdout, stderr io.Writer) int {
	if err := p.Check(); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	stdout, stderr = shared(stdout), shared(stderr)
	done := make(map[string]chan struct{}, len(p.Containers))
	results := make(map[string]outcome, len(p.Containers))
	var mu sync.Mutex
	for _, c := range p.Containers {
		done[c.Name] = make(chan struct{})
	}
	var wg sync.WaitGroup
	for _, c := range p.Containers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[c.Name])
			o := outcome{}
			for _, d := range c.Dependencies {
				<-done[d]
				mu.Lock()
				dep := results[d]
				mu.Unlock()
				if dep.code != 0 {
					o = outcome{code: dep.code, why: fmt.Sprintf("not run: dependency %q exited with non-zero code: %d", d, dep.code)}
					break
				}
			}
			if o.why == "" {
				out := stderr
				if c.Name == MainContainer {
					out = stdout
				}
				o = runContainer(c, p, out, stderr)
			}
			if o.code != 0 {
				fmt.Fprintf(stderr, "container %s: %s\n", c.Name, o.why)
			}
			mu.Lock()
			results[c.Name] = o
			mu.Unlock()
		}()
	}
	wg.Wait()
	if o, ok := results[MainContainer]; ok && o.code != 0 {
		return o.code
	}
	for _, c := range p.Containers {
		if o := results[c.Name]; o.code != 0 {
			return o.code
		}
	}
	return 0
}

// shared makes w safe for the containers that write to it at once. A
// file (the step's stdout and stderr) is handed to each process as it is,
// its writes the kernel's to order; an in-memory writer (tests) is
// written under a lock, which no write to it can block.
func shared(w io.Writer) io.Writer {
	if _, ok := w.(*os.File); ok {
		return w
	}
	return &lockedWriter{w: w}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// runContainer runs one container, again while it fails and attempts
// remain; a program that cannot be found is not tried again (Argo's
// emissary looks it up before its retries).
func runContainer(c Container, p Plan, out, errOut io.Writer) outcome {
	if len(c.Argv) == 0 {
		return outcome{code: execFailedCode, why: "the container has neither a command nor args to run"}
	}
	prog, err := LookPath(c.Argv[0])
	if err != nil {
		return outcome{code: execFailedCode, why: fmt.Sprintf("failed to find name in PATH: %v", err)}
	}
	attempts := max(p.Attempts, 1)
	var o outcome
	for i := range attempts {
		if i > 0 {
			fmt.Fprintf(errOut, "container %s: exit code %d; running it again (%d of %d)\n", c.Name, o.code, i+1, attempts)
			time.Sleep(p.Pause)
		}
		o = runOnce(c, prog, out, errOut)
		if o.code == 0 {
			return o
		}
	}
	return o
}

func runOnce(c Container, prog string, out, errOut io.Writer) outcome {
	cmd := exec.Command(prog, c.Argv[1:]...)
	cmd.Args[0] = c.Argv[0]
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.Stdout, cmd.Stderr = out, errOut
	if c.WorkingDir != "" {
		if err := os.MkdirAll(c.WorkingDir, 0o755); err != nil {
			return outcome{code: 1, why: fmt.Sprintf("workingDir %s: %v", c.WorkingDir, err)}
		}
		cmd.Dir = c.WorkingDir
	}
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return outcome{}
	case errors.As(err, &exit):
		code := exit.ExitCode()
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal()) // as a shell reports it
		}
		return outcome{code: code, why: fmt.Sprintf("exit code %d", code)}
	default:
		return outcome{code: execFailedCode, why: err.Error()}
	}
}

// LookPath finds a container's program as a step's would be found: an
// image path the host lacks (/argosay) by its name on PATH, where
// semaflow serves it, and python as python3 where only that exists.
func LookPath(prog string) (string, error) {
	if filepath.IsAbs(prog) {
		if _, err := os.Stat(prog); err == nil {
			return prog, nil
		}
		if p, err := exec.LookPath(filepath.Base(prog)); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath(prog)
	if err != nil && prog == "python" {
		if p3, err3 := exec.LookPath("python3"); err3 == nil {
			return p3, nil
		}
	}
	return p, err
}
