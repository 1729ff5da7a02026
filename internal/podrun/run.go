package podrun

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/semaflow/semaflow/internal/containerset"
)

// execFailedCode is the exit code of a container whose program cannot be
// run, as semaflow's steps (and Argo's emissary) have it.
const execFailedCode = 64

// sidecar is a started sidecar and how it ended, if it did.
type sidecar struct {
	c      Container
	cmd    *exec.Cmd
	waited chan struct{}
	code   int    // its exit code, once waited is closed
	early  bool   // it ended before main did
	why    string // a start failure
}

// Run runs the plan around main, the main container's command, and
// returns the step's exit code: main's, or a failed init container's.
// stdout receives main's output, stderr everyone else's and the runner's
// own lines. A failure main's exit code does not tell (a failed init
// container, a sidecar that failed before main ended, as Argo fails the
// pod for it) is written to message, for the node's message.
func Run(p Plan, main []string, message io.Writer, stdout, stderr io.Writer) int {
	fail := func(code int, msg string) int {
		fmt.Fprintln(stderr, msg)
		if message != nil {
			if _, err := io.WriteString(message, msg); err != nil {
				fmt.Fprintf(stderr, "semaflow pod: the message to the supervisor: %v\n", err)
			}
		}
		return code
	}
	if err := p.Check(); err != nil {
		return fail(2, err.Error())
	}
	if len(main) == 0 {
		return fail(2, "the main container has neither a command nor args to run")
	}
	// What is left after main is found by the runner's process group:
	// the step's, whose leader it is under the supervisor; run any other
	// way, it leads one of its own, so nothing else is ever killed.
	if syscall.Getpgrp() != os.Getpid() {
		_ = syscall.Setpgid(0, 0)
	}
	// Orphans of the sidecars (a server started in the background) come
	// back to the runner, which then kills them too.
	_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	for _, c := range p.Init {
		if code, why := runInit(c, stderr); code != 0 {
			return fail(code, fmt.Sprintf("%s: %s", c.Name, why))
		}
	}
	var mu sync.Mutex // guards mainDone and each sidecar's early
	mainDone := false
	side := make([]*sidecar, 0, len(p.Sidecars))
	for _, c := range p.Sidecars {
		s := &sidecar{c: c, waited: make(chan struct{})}
		side = append(side, s)
		cmd, err := command(c, stderr)
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			s.code, s.early, s.why = execFailedCode, true, err.Error()
			close(s.waited)
			continue
		}
		s.cmd = cmd
		go func() {
			s.code = exitCode(cmd.Wait())
			mu.Lock()
			s.early = !mainDone
			mu.Unlock()
			close(s.waited)
		}()
	}
	code, why := runMain(main, stdout, stderr)
	mu.Lock()
	mainDone = true
	mu.Unlock()
	tracked := map[int]bool{}
	for _, s := range side {
		if s.cmd != nil {
			tracked[s.cmd.Process.Pid] = true
		}
	}
	killRest(tracked, stderr)
	for _, s := range side {
		<-s.waited
	}
	if why != "" {
		return fail(code, why)
	}
	if code != 0 {
		return code
	}
	for _, s := range side {
		// Argo ignores a sidecar killed by its kill (137, 143); one that
		// failed on its own fails the pod.
		if !s.early || s.code == 0 || s.code == 128+int(syscall.SIGKILL) || s.code == 128+int(syscall.SIGTERM) {
			continue
		}
		msg := fmt.Sprintf("%s: Error (exit code %d)", s.c.Name, s.code)
		if s.why != "" {
			msg = fmt.Sprintf("%s: %s", s.c.Name, s.why)
		}
		return fail(0, msg)
	}
	return 0
}

// command is c's process, its program found as a step's is.
func command(c Container, out io.Writer) (*exec.Cmd, error) {
	prog, err := containerset.LookPath(c.Argv[0])
	if err != nil {
		return nil, fmt.Errorf("failed to find name in PATH: %w", err)
	}
	cmd := exec.Command(prog, c.Argv[1:]...)
	cmd.Args[0] = c.Argv[0]
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.Stdout, cmd.Stderr = out, out
	if c.WorkingDir != "" {
		if err := os.MkdirAll(c.WorkingDir, 0o755); err != nil {
			return nil, fmt.Errorf("workingDir %s: %w", c.WorkingDir, err)
		}
		cmd.Dir = c.WorkingDir
	}
	return cmd, nil
}

// runInit runs one init container to its end: its exit code and, for a
// failure, what the node's message says.
func runInit(c Container, out io.Writer) (int, string) {
	cmd, err := command(c, out)
	if err != nil {
		return execFailedCode, err.Error()
	}
	err = cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return execFailedCode, err.Error()
	}
	code := exitCode(err)
	if code == 0 {
		return 0, ""
	}
	return code, fmt.Sprintf("Error (exit code %d)", code)
}

// runMain runs the main container; why is set when it could not start.
func runMain(argv []string, stdout, stderr io.Writer) (int, string) {
	cmd, err := command(Container{Name: "main", Argv: argv}, stderr)
	if err != nil {
		return execFailedCode, fmt.Sprintf("cannot run %q: %v", argv[0], err)
	}
	cmd.Stdout = stdout
	if err := cmd.Start(); err != nil {
		return execFailedCode, fmt.Sprintf("cannot run %q: %v", argv[0], err)
	}
	return exitCode(cmd.Wait()), ""
}

func exitCode(err error) int {
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return stateCode(exit.ProcessState)
	default:
		return execFailedCode
	}
}

// stateCode is an ended process's code as a shell reports it.
func stateCode(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// MessageFile is the supervisor's pipe at fd, where Run's message goes.
// It is kept from the containers (closed on their exec), and the runner
// made undumpable, so that no process of the step, running as the same
// user, opens it through /proc: the node's message is the runner's.
func MessageFile(fd int) (*os.File, error) {
	if fd < 3 {
		return nil, fmt.Errorf("message fd %d: want 3 or more", fd)
	}
	syscall.CloseOnExec(fd)
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("making the pod runner undumpable: %w", err)
	}
	return os.NewFile(uintptr(fd), "the pod runner's message"), nil
}
