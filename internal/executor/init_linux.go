package executor

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// A step run as the step user starts as `semaflow exec --init CONFIG`,
// cloned by the supervisor into a new PID and mount namespace. Still
// root, the init makes the mounts the step sees: a /proc of its own PID
// namespace (no other process, the supervisor's and the server's
// included, is visible or signalable), the data directory hidden under
// an empty tmpfs with only the step's own work and tmp directories bound
// back at their paths (the tmpfs goes higher when the step user could
// not search a directory above the data directory), a tmpfs of its own
// over each of the host's other world-writable directories
// (scratch_linux.go), and, with a private /tmp, the step's tmp bound
// over /tmp (its work directory bound back inside when it lies under
// /tmp: workdir_linux.go). It then drops to the step user, writes the
// step's input files and script as that user (so a path chosen by the
// workflow can never make root write a host file), and execs the step,
// which becomes PID 1 of its namespace. The script, at a path of the
// supervisor's choosing, the supervisor writes itself, root's and
// readable: the step runs it but cannot change it.
//
// PID 1 is why kill and deadline keep working unchanged: the supervisor
// SIGKILLs the process group, and once PID 1 dies the kernel kills every
// process left in its namespace, even one that left the group. The
// step's exit status is the init's own, since the init became the step.
// Exec rather than a resident init keeps a step at one process and one
// Go start-up; the price is that the step is PID 1 (a signal it has no
// handler for, sent from inside, is ignored, as in a container without
// an init).
//
// The init reports a failure before the exec on a pipe at statusFD,
// which is close-on-exec: the supervisor reads end of file once the
// step's program runs, or the reason it could not start. It reads the
// step's spec (its workingDir and input files) from a pipe at specFD, so
// the job is never written to disk.

// initConfig is CONFIG, as JSON.
type initConfig struct {
	// Probe only checks that the namespaces and /proc can be made.
	Probe      bool     `json:"probe,omitempty"`
	Dir        string   `json:"dir,omitempty"`
	Argv       []string `json:"argv,omitempty"`
	UID        uint32   `json:"uid"`
	GID        uint32   `json:"gid"`
	PrivateTmp bool     `json:"privateTmp,omitempty"`
	DataRoot   string   `json:"dataRoot,omitempty"`
	// Root is the step's own root the supervisor planned, if any.
	Root *stepRoot `json:"root,omitempty"`
}

const (
	statusFD = 3
	specFD   = 4
)

const initFlags = syscall.CLONE_NEWPID | syscall.CLONE_NEWNS

// InitMain is the body of `semaflow exec --init CONFIG`; on success the
// step has replaced it and it does not return.
func InitMain(config string) int {
	syscall.CloseOnExec(statusFD)
	syscall.CloseOnExec(specFD)
	var c initConfig
	err := json.Unmarshal([]byte(config), &c)
	if err == nil {
		err = c.run()
	}
	if err == nil {
		return 0 // a probe
	}
	msg := err.Error()
	var execErr errExec
	if errors.As(err, &execErr) {
		msg = execMark + msg
	}
	if _, werr := os.NewFile(statusFD, "status").WriteString(msg); werr != nil {
		fmt.Fprintln(os.Stderr, "semaflow exec --init:", err)
	}
	return 127
}

func (c *initConfig) run() error {
	runtime.LockOSThread()
	if os.Getpid() != 1 {
		return errors.New("the step init must be PID 1 of a new PID namespace")
	}
	if err := armParentDeath(); err != nil {
		return err
	}
	// Nothing mounted here may show on the host.
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making the step's mounts private: %w", err)
	}
	if err := syscall.Mount("proc", "/proc", "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mounting the step's own /proc: %w", err)
	}
	if c.Probe {
		return nil
	}
	spec, err := readSpec()
	if err != nil {
		return err
	}
	tmp, work := filepath.Join(c.Dir, TmpDir), filepath.Join(c.Dir, WorkDir)
	// Handles taken before the data directory is hidden reach the step's
	// directories afterwards.
	tmpFd, err := syscall.Open(tmp, unix.O_PATH|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("%s: %w", tmp, err)
	}
	workFd, err := syscall.Open(work, unix.O_PATH|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("%s: %w", work, err)
	}
	realWork, err := realPath(workFd)
	if err != nil {
		return err
	}
	// Input artifacts are copied from DIR/inputs, which is hidden below:
	// opened now, read as the step user after the drop.
	inputs, err := openInputs(c.Dir, spec)
	if err != nil {
		return err
	}
	progs, progRoot, err := c.openImagePrograms(tmp)
	if err != nil {
		return err
	}
	// The directories made here must be traversable by the step user;
	// the step itself gets the supervisor's umask back.
	umask := syscall.Umask(0o022)
	if err := mountScratch(); err != nil {
		return err
	}
	root := c.hideRoot()
	if above := unsearchableAbove(root, c.UID, c.GID); root != "" && above != "" {
		// The step user could not reach its own directories by name.
		root = above
	}
	if root != "" {
		// A data directory under a scratch directory is gone already;
		// its step directories are bound back all the same.
		if err := os.MkdirAll(root, 0o755); err != nil {
			return fmt.Errorf("hiding %s from the step: %w", root, err)
		}
		if err := syscall.Mount("tmpfs", root, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "mode=0755,size=64k"); err != nil {
			return fmt.Errorf("hiding %s from the step: %w", root, err)
		}
		for path, fd := range map[string]int{tmp: tmpFd, work: workFd} {
			if err := os.MkdirAll(path, 0o755); err != nil {
				return err
			}
			if err := syscall.Mount(fdPath(fd), path, "", syscall.MS_BIND, ""); err != nil {
				return fmt.Errorf("binding %s back: %w", path, err)
			}
		}
	}
	if c.PrivateTmp {
		if err := syscall.Mount(fdPath(tmpFd), "/tmp", "", syscall.MS_BIND, ""); err != nil {
			return fmt.Errorf("binding the step's own /tmp: %w", err)
		}
		if err := bindWorkBack(workFd, realWork); err != nil {
			return err
		}
	}
	if err := c.enterImagePrograms(progs, progRoot, tmp); err != nil {
		return err
	}
	syscall.Umask(umask)
	// Go applies these to every thread of the process.
	if err := syscall.Setgroups([]int{}); err != nil {
		return fmt.Errorf("dropping groups: %w", err)
	}
	if err := syscall.Setgid(int(c.GID)); err != nil {
		return fmt.Errorf("setgid %d: %w", c.GID, err)
	}
	if err := syscall.Setuid(int(c.UID)); err != nil {
		return fmt.Errorf("setuid %d: %w", c.UID, err)
	}
	// A change of user clears the parent-death signal: set it again, on
	// this thread, the one that execs the step.
	if err := armParentDeath(); err != nil {
		return err
	}
	if spec.WorkingDir != "" {
		if err := os.MkdirAll(spec.WorkingDir, 0o700); err != nil {
			return fmt.Errorf("workingDir %s: %w", spec.WorkingDir, err)
		}
		if err := os.Chdir(spec.WorkingDir); err != nil {
			return fmt.Errorf("workingDir %s: %w", spec.WorkingDir, err)
		}
	} else if progRoot != nil {
		// By name: the handle's directory lies outside the step's root,
		// where its getcwd (and `..`) must not lead. The root's binds of
		// the host's directories show it at its real path.
		if err := os.Chdir(realWork); err != nil {
			return fmt.Errorf("the step's working directory %s: %w", realWork, err)
		}
	} else if err := syscall.Fchdir(workFd); err != nil {
		return fmt.Errorf("%s: %w", work, err)
	}
	// Paths as the step sees them: with a shared /tmp, an input at /tmp/x
	// is the host's, as for a step run without isolation.
	for path, content := range spec.InputFiles {
		if err := writeInput(path, content); err != nil {
			return fmt.Errorf("input artifact %s: %w", path, err)
		}
	}
	if inputs != nil {
		if err := placeInputs(inputs, spec, func(p string) string { return p }); err != nil {
			return err
		}
		_ = inputs.Close()
	}
	if len(c.Argv) == 0 {
		return errors.New("the template has neither a command nor args to run")
	}
	prog, err := exec.LookPath(c.Argv[0])
	if err != nil && !errors.Is(err, exec.ErrDot) {
		return errExec(startError(c.Argv[0], err))
	}
	err = syscall.Exec(prog, c.Argv, os.Environ())
	return errExec(startError(c.Argv[0], err))
}

// hideRoot is the directory hidden from the step: the data directory, or
// the step directory's parent when the step lies outside it.
func (c *initConfig) hideRoot() string {
	root := filepath.Dir(c.Dir)
	if c.DataRoot != "" && within(c.Dir, c.DataRoot) {
		root = c.DataRoot
	}
	if root == "/" || root == "." {
		return ""
	}
	return root
}

func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

func fdPath(fd int) string { return fmt.Sprintf("/proc/self/fd/%d", fd) }

// readSpec reads the spec the supervisor writes to specFD.
func readSpec() (*Spec, error) {
	f := os.NewFile(specFD, "the step's spec")
	defer f.Close()
	var spec Spec
	if err := json.NewDecoder(io.LimitReader(f, maxRequestBytes)).Decode(&spec); err != nil {
		return nil, fmt.Errorf("reading the step's spec from the supervisor: %w", err)
	}
	return &spec, nil
}

// initCommand is the command that runs argv, the step in dir, through
// the step init, with spec on its specFD. closeSpec releases that pipe
// once the init was started (or could not be).
func (c *confinement) initCommand(dir string, argv []string, root *stepRoot, spec *Spec) (cmd *exec.Cmd, closeSpec func(), err error) {
	b, err := json.Marshal(initConfig{Dir: dir, Argv: argv, UID: c.user.UID, GID: c.user.GID,
		PrivateTmp: c.private, DataRoot: c.dataRoot, Root: root})
	if err != nil {
		return nil, nil, err
	}
	// Only what the init needs, which the step may not change.
	sb, err := json.Marshal(Spec{WorkingDir: spec.WorkingDir, InputFiles: spec.InputFiles, InputArtifacts: spec.InputArtifacts})
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
	cmd = exec.Command(c.self, "exec", "--init", string(b))
	cmd.ExtraFiles = []*os.File{r} // specFD, after statusFD (startIsolated)
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
	cmd.ExtraFiles = append([]*os.File{w}, cmd.ExtraFiles...) // statusFD first
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Cloneflags |= initFlags
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
	if m, ok := strings.CutPrefix(string(msg), execMark); ok {
		return nil, errExec(m)
	}
	return nil, errInit(string(msg))
}

// execMark starts the init's status when the step's program itself could
// not be executed, so the supervisor tells it from the init's own failures.
const execMark = "exec\x00"

// errInit is a reason the step init gave; it is already worded for the
// step's result.
type errInit string

func (e errInit) Error() string { return string(e) }

// probeInit starts the step init with nothing to run.
func probeInit(self string) error {
	cmd := exec.Command(self, "exec", "--init", `{"probe":true}`)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	done, err := startIsolated(cmd, nil)
	if err != nil {
		return fmt.Errorf("steps cannot get their own PID namespace and /proc: %w", err)
	}
	if err := <-done; err != nil {
		return fmt.Errorf("steps cannot get their own PID namespace and /proc: %w", err)
	}
	return nil
}

// armParentDeath makes the supervisor's death kill this process (and so,
// as PID 1, its whole namespace), and fails if the supervisor is gone
// already. Go's own check after setting Pdeathsig compares the parent's
// pid, which a new PID namespace hides (getppid says 0), so it cannot
// tell: the status pipe can, as its only reader is the supervisor.
func armParentDeath() error {
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("setting the step's parent-death signal: %w", err)
	}
	fds := []unix.PollFd{{Fd: statusFD}}
	if n, err := unix.Poll(fds, 0); err == nil && n > 0 && fds[0].Revents&(unix.POLLERR|unix.POLLHUP) != 0 {
		return errors.New("the step supervisor died before the step started")
	}
	return nil
}
