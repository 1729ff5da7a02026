package stepinit

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

// Config is CONFIG, as JSON.
type Config struct {
	// Probe only checks that the namespaces and /proc can be made.
	Probe      bool     `json:"probe,omitempty"`
	Dir        string   `json:"dir,omitempty"`
	Argv       []string `json:"argv,omitempty"`
	UID        uint32   `json:"uid"`
	GID        uint32   `json:"gid"`
	PrivateTmp bool     `json:"privateTmp,omitempty"`
	DataRoot   string   `json:"dataRoot,omitempty"`
	// Root is the step's own root the supervisor planned, if any.
	Root *Root `json:"root,omitempty"`
	// Self is the semaflow binary, bound where the step reaches served
	// programs (ProgSelf).
	Self string `json:"self,omitempty"`
	// Build must be this package's (build.go): an init built from other
	// sources refuses the configuration rather than misread it.
	Build string `json:"build"`
}

// ProbeReply is a probe's answer on StatusFD: a program that is not this
// step init, exiting 0 without it, fails the probe.
const ProbeReply = "step init ready"

// Spec is what the init needs of the step's spec: the supervisor writes
// it to SpecFD as JSON (the executor's Spec has the same field names).
type Spec struct {
	WorkingDir     string            `json:"workingDir,omitempty"`
	InputFiles     map[string]string `json:"inputFiles,omitempty"`
	InputArtifacts []InputArtifact   `json:"inputArtifacts,omitempty"`
	// Env is the step's environment, which the init execs it with (its
	// own is empty).
	Env []string `json:"env,omitempty"`
}

// The init's descriptors, after stdin, stdout and stderr: the status
// pipe to the supervisor, then the pipe carrying its Spec.
const (
	StatusFD = 3
	SpecFD   = 4
)

// CloneFlags are the namespaces the supervisor starts the init in.
const CloneFlags = syscall.CLONE_NEWPID | syscall.CLONE_NEWNS

// MaxSpecBytes bounds the spec read from SpecFD; the supervisor's bound on
// a request line, which carries the step's spec, is the same.
const MaxSpecBytes = 256 << 20

// Main is the body of `semaflow-init CONFIG` and of `semaflow exec --init
// CONFIG`; on success the step has replaced it and it does not return.
func Main(config string) int {
	syscall.CloseOnExec(StatusFD)
	syscall.CloseOnExec(SpecFD)
	var c Config
	err := json.Unmarshal([]byte(config), &c)
	if err == nil && c.Build != Build() {
		err = fmt.Errorf("this step init (build %s) was built from other sources than the semaflow that started it (build %q): "+
			"build both from one tree (go build -o DIR/ ./cmd/semaflow ./cmd/semaflow-init), and restart semaflow after replacing them", Build(), c.Build)
	}
	if err == nil {
		err = c.run()
	}
	msg := ProbeReply // only a probe returns without an error
	if err != nil {
		msg = err.Error()
	}
	var execErr ErrExec
	if errors.As(err, &execErr) {
		msg = ExecMark + msg
	}
	if _, werr := os.NewFile(StatusFD, "status").WriteString(msg); werr != nil {
		fmt.Fprintln(os.Stderr, "step init:", msg)
	}
	if err == nil {
		return 0
	}
	return 127
}

func (c *Config) run() error {
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
	realWork, err := RealPath(workFd)
	if err != nil {
		return err
	}
	// Input artifacts are copied from DIR/inputs, which is hidden below:
	// opened now, read as the step user after the drop.
	inputs, err := OpenInputs(c.Dir, spec.InputArtifacts)
	if err != nil {
		return err
	}
	progs, err := c.openImagePrograms(tmp)
	if err != nil {
		return err
	}
	// The directories made here must be traversable by the step user;
	// the step itself gets the supervisor's umask back.
	umask := syscall.Umask(0o022)
	if err := MountScratch(); err != nil {
		return err
	}
	root := c.hideRoot()
	if above := UnsearchableAbove(root, c.UID, c.GID); root != "" && above != "" {
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
			if err := syscall.Mount(FdPath(fd), path, "", syscall.MS_BIND, ""); err != nil {
				return fmt.Errorf("binding %s back: %w", path, err)
			}
		}
	}
	if c.PrivateTmp {
		if err := syscall.Mount(FdPath(tmpFd), "/tmp", "", syscall.MS_BIND, ""); err != nil {
			return fmt.Errorf("binding the step's own /tmp: %w", err)
		}
		if err := BindWorkBack(workFd, realWork); err != nil {
			return err
		}
	}
	if err := c.enterImagePrograms(progs, tmp); err != nil {
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
	} else if progs.root != nil {
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
		if err := WriteInput(path, content); err != nil {
			return fmt.Errorf("input artifact %s: %w", path, err)
		}
	}
	if inputs != nil {
		if err := PlaceInputs(inputs, spec.InputArtifacts, func(p string) string { return p }); err != nil {
			return err
		}
		_ = inputs.Close()
	}
	if len(c.Argv) == 0 {
		return errors.New("the template has neither a command nor args to run")
	}
	// The program is looked up on the step's PATH, as the step's shell
	// would.
	env := DedupEnv(spec.Env)
	os.Clearenv()
	for _, kv := range env {
		if path, ok := strings.CutPrefix(kv, "PATH="); ok {
			_ = os.Setenv("PATH", path)
		}
	}
	prog, err := exec.LookPath(c.Argv[0])
	if err != nil && !errors.Is(err, exec.ErrDot) {
		return ErrExec(StartError(c.Argv[0], err))
	}
	err = syscall.Exec(prog, c.Argv, env)
	return ErrExec(StartError(c.Argv[0], err))
}

// hideRoot is the directory hidden from the step: the data directory, or
// the step directory's parent when the step lies outside it.
func (c *Config) hideRoot() string {
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

// FdPath names an open descriptor of this process as a path (for mount,
// which takes paths).
func FdPath(fd int) string { return fmt.Sprintf("/proc/self/fd/%d", fd) }

// readSpec reads the spec the supervisor writes to SpecFD.
func readSpec() (*Spec, error) {
	f := os.NewFile(SpecFD, "the step's spec")
	defer f.Close()
	var spec Spec
	if err := json.NewDecoder(io.LimitReader(f, MaxSpecBytes)).Decode(&spec); err != nil {
		return nil, fmt.Errorf("reading the step's spec from the supervisor: %w", err)
	}
	return &spec, nil
}

// ExecMark starts the init's status when the step's program itself could
// not be executed, so the supervisor tells it from the init's own failures.
const ExecMark = "exec\x00"

// armParentDeath makes the supervisor's death kill this process (and so,
// as PID 1, its whole namespace), and fails if the supervisor is gone
// already. Go's own check after setting Pdeathsig compares the parent's
// pid, which a new PID namespace hides (getppid says 0), so it cannot
// tell: the status pipe can, as its only reader is the supervisor.
func armParentDeath() error {
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("setting the step's parent-death signal: %w", err)
	}
	fds := []unix.PollFd{{Fd: StatusFD}}
	if n, err := unix.Poll(fds, 0); err == nil && n > 0 && fds[0].Revents&(unix.POLLERR|unix.POLLHUP) != 0 {
		return errors.New("the step supervisor died before the step started")
	}
	return nil
}
