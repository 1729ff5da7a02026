package executor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/semaflow/semaflow/internal/stepinit"
)

// scriptPath is where a script template's source is, as the step sees it.
const scriptPath = "/tmp/.semaflow/script"

// openStepDirs makes the step's tmp and work directories, 0700 and owned
// by whom the step runs as (never world-writable: steps of other
// workflows may run as the same user), and opens them. They are always
// new: a finished step's, even empty, are never given to a later step, for
// a process it left behind (escaped with setsid, or holding a handle it
// passed to another process of its user) still reaches them, and no check
// the supervisor can make proves that none does.
func openStepDirs(dir string, c *confinement) (stepView, error) {
	v := stepView{tmp: filepath.Join(dir, TmpDir), work: filepath.Join(dir, WorkDir), private: c.private, user: c.user}
	// By path, not under a handle on dir: a step holds no more of the
	// supervisor's files while it starts than fdbudget.go counts.
	var err error
	if v.tmpDir, err = openPrivateDir(v.tmp, c.user); err != nil {
		return v, err
	}
	if v.workDir, err = openPrivateDir(v.work, c.user); err != nil {
		_ = v.tmpDir.Close()
		return v, err
	}
	if v.workPath, err = stepinit.RealPath(int(v.workDir.Fd())); err != nil {
		v.close()
		return v, err
	}
	return v, nil
}

// openPrivateDir makes path a directory only u (nil: this process's
// user) can enter, and opens it. A new one, the usual case, costs a
// mkdir, an open and for u a chown: its mode is 0700 less the umask,
// which can only narrow it, and is set exactly on the handle only if the
// umask took a bit the owner needs. One that was there (left by an older
// supervisor) is narrowed on the handle too, never by path: a link there
// fails the open instead of leading the chown and chmod elsewhere.
func openPrivateDir(path string, u *StepUser) (*os.File, error) {
	err := unix.Mkdir(path, 0o700)
	existed := errors.Is(err, unix.EEXIST)
	if err != nil && !existed {
		return nil, &fs.PathError{Op: "mkdir", Path: path, Err: err}
	}
	chmod := existed || umaskNarrows()
	return openOwnedDir(path, 0o700, chmod, u)
}

// openOwnedDir opens the directory path, never through a link, and gives
// it mode (when chmod) and, for u, its owner, on the handle.
func openOwnedDir(path string, mode uint32, chmod bool, u *StepUser) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	fail := func(op string, err error) (*os.File, error) {
		_ = f.Close()
		return nil, &fs.PathError{Op: op, Path: path, Err: err}
	}
	if u != nil {
		if err := unix.Fchown(fd, int(u.UID), int(u.GID)); err != nil {
			return fail("chown", err)
		}
	}
	if chmod {
		if err := unix.Fchmod(fd, mode); err != nil {
			return fail("chmod", err)
		}
	}
	return f, nil
}

// umaskNarrows says whether the process's umask takes one of the owner's
// bits (or cannot be read), read once: the supervisor never changes it.
// By /proc, since setting it to read it would race the goroutines making
// files meanwhile.
var umaskNarrows = sync.OnceValue(func() bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return true
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "Umask:"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			return err != nil || m&0o700 != 0
		}
	}
	return true
})

func (v stepView) close() {
	_ = v.tmpDir.Close()
	_ = v.workDir.Close()
}

// writeInputFiles writes the step's raw inputs where the step sees them,
// once its root is planned (view.host).
func writeInputFiles(spec *Spec, view stepView) error {
	for path, content := range spec.InputFiles {
		if err := stepinit.WriteInput(view.host(path), content); err != nil {
			return fmt.Errorf("input artifact at %s: %w", path, err)
		}
	}
	return nil
}

// writeStepFiles writes the step's script; inputs says the step runs as
// this process's user (a step run as the step user writes its inputs
// itself, and only then must others than this process's user read the
// script).
func writeStepFiles(spec *Spec, view stepView, inputs bool) error {
	if spec.Script != "" {
		mode := uint32(0o755)
		if inputs {
			mode = 0o700
		}
		if err := writeScript(view.tmpDir, spec.Script, mode); err != nil {
			return fmt.Errorf("the step's script %s: %w", scriptPath, err)
		}
	}
	return nil
}

// writeScript writes the script in the step's tmp, open as tmp, with
// mode: 0755 when a step user must read it (writable by this process's
// user only), 0700 when the step runs as this user. The step's tmp may
// be the step user's: nothing there is followed.
func writeScript(tmp *os.File, source string, mode uint32) error {
	dirName := filepath.Base(filepath.Dir(scriptPath))
	if err := unix.Mkdirat(int(tmp.Fd()), dirName, mode); err != nil && !errors.Is(err, unix.EEXIST) {
		return err
	}
	dir, err := unix.Openat(int(tmp.Fd()), dirName, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer func() { _ = unix.Close(dir) }()
	// The umask narrows what Mkdirat made: a step user kept out of the
	// directory cannot read the script in it.
	if err := unix.Fchmod(dir, mode); err != nil {
		return err
	}
	fd, err := unix.Openat(dir, filepath.Base(scriptPath), unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_NOFOLLOW|unix.O_CLOEXEC, mode)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), scriptPath)
	_, err = f.WriteString(source)
	return errors.Join(err, f.Chmod(os.FileMode(mode)), f.Close())
}

// createPrivate creates (or empties) a file only this process's user reads.
// A new file has no wider mode than it was made with; one that was there
// (left by an older supervisor) is narrowed.
func createPrivate(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil || !errors.Is(err, fs.ErrExist) {
		return f, err
	}
	f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}
