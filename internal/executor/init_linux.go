package executor

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/semaflow/semaflow/internal/stepinit"
)

// initCommand is the command that runs argv, the step in dir, through
// the step init, with spec on its SpecFD. closeSpec releases that pipe
// once the init was started (or could not be).
func (c *confinement) initCommand(dir string, argv []string, root *stepRoot, spec *Spec) (cmd *exec.Cmd, closeSpec func(), err error) {
	cmd, err = initCmd(c.init, stepinit.Config{Dir: dir, Argv: argv, UID: c.user.UID, GID: c.user.GID,
		PrivateTmp: c.private, DataRoot: c.dataRoot, Root: root, Self: c.self})
	if err != nil {
		return nil, nil, err
	}
	// Only what the init needs, which the step may not change.
	sb, err := json.Marshal(stepinit.Spec{WorkingDir: spec.WorkingDir, InputFiles: spec.InputFiles,
		InputArtifacts: spec.InputArtifacts, Env: spec.Env})
	if err != nil {
		return nil, nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	// From a goroutine: a spec larger than the pipe's buffer is read by
	// the init as it is written. The write ends once the init read it
	// all, or with an error once no one holds the read end any more: the
	// init died, or never started and closeSpec closed this process's.
	go func() {
		_, _ = w.Write(sb)
		_ = w.Close()
	}()
	cmd.ExtraFiles = []*os.File{r} // SpecFD, after StatusFD (startIsolated)
	return cmd, func() { _ = r.Close() }, nil
}

// startIsolated starts an initCommand in its new namespaces (through
// spawn, whose done it returns, and record) once the step's program runs,
// or returns the reason it could not start (the init is then reaped).
func startIsolated(cmd *exec.Cmd, record func(pid int) error) (<-chan error, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	cmd.ExtraFiles = append([]*os.File{w}, cmd.ExtraFiles...) // StatusFD first
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Cloneflags |= stepinit.CloneFlags
	done, err := spawn(cmd, nil, record)
	_ = w.Close()
	if err != nil {
		return nil, err
	}
	msg, _ := io.ReadAll(r)
	if len(msg) == 0 {
		return done, nil
	}
	_ = waitFor(done) // the reason is msg, not the init's exit status
	if m, ok := strings.CutPrefix(string(msg), stepinit.ExecMark); ok {
		return nil, stepinit.ErrExec(m)
	}
	return nil, errInit(string(msg))
}

// errInit is a reason the step init gave; it is already worded for the
// step's result.
type errInit string

func (e errInit) Error() string { return string(e) }

// probeInit starts the step init argv with nothing to run.
func probeInit(argv []string) error {
	cmd, err := initCmd(argv, stepinit.Config{Probe: true})
	if err != nil {
		return err
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Dir = "/"
	done, err := startIsolated(cmd, nil)
	if err == nil {
		// Ended without a word: no step init (whatever its exit status).
		_ = waitFor(done)
		return fmt.Errorf("%s is not semaflow's step init: it gave no answer to a probe", argv[0])
	}
	var ie errInit
	switch {
	case errors.As(err, &ie) && string(ie) == stepinit.ProbeReply:
		return nil
	case errors.As(err, &ie):
		return fmt.Errorf("the step init's probe failed: %w", err)
	default:
		return fmt.Errorf("cannot start the step init %s: %w", argv[0], err)
	}
}
