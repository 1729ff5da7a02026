package executor

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/semaflow/semaflow/internal/stepinit"
)

// openOutput opens the declared output at path (as the template gives
// it: a relative path is the step's working directory's), a file or a
// directory, where the step left it: its /tmp or working directory, a
// volume, its own root (an output outside /tmp, /output/x), or the host.
// It is the one way the supervisor reaches a declared output, output
// parameters and artifacts alike.
//
// The supervisor may be root and the step is not trusted: its files may
// be symlinks aimed at what only root may read (the token file, the
// database, another step's files), FIFOs that never end, or huge. So the
// step's own directories are opened through openat2 confined to them (no
// link leads out, no /proc magic link is followed), as are its root and
// its volumes, any other path with the step user's credentials (if any)
// and never on /proc. The caller reads only regular files, bounded.
func (v stepView) openOutput(spec *Spec, path string) (*os.File, error) {
	p, err := v.outputPath(spec, path)
	if err != nil {
		return nil, err
	}
	if p, err = v.resolveLinks(p); err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	fd, err := v.openConfined(filepath.Clean(p))
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), p), nil
}

// readOutput reads an output parameter's file: a regular file of at
// most MaxResult bytes.
func (v stepView) readOutput(spec *Spec, path string) ([]byte, error) {
	f, err := v.openOutput(spec, path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &os.PathError{Op: "read", Path: path, Err: fmt.Errorf("not a regular file (%v)", st.Mode().Type())}
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxResult+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxResult {
		return nil, &os.PathError{Op: "read", Path: path, Err: fmt.Errorf("larger than %d bytes", MaxResult)}
	}
	return b, nil
}

func (v stepView) openConfined(path string) (int, error) {
	how := unix.OpenHow{Flags: unix.O_RDONLY | unix.O_NONBLOCK | unix.O_CLOEXEC | unix.O_NOCTTY,
		Resolve: unix.RESOLVE_NO_MAGICLINKS}
	roots := []struct {
		seen string
		dir  *os.File
	}{{v.tmp, v.tmpDir}, {v.work, v.workDir}, {v.workPath, v.workDir}}
	if v.private {
		roots = append(roots, struct {
			seen string
			dir  *os.File
		}{"/tmp", v.tmpDir})
	}
	for _, r := range roots {
		if rel, ok := stepinit.Under(path, r.seen); ok && r.dir != nil {
			how.Resolve |= unix.RESOLVE_IN_ROOT
			return unix.Openat2(int(r.dir.Fd()), rel, &how)
		}
	}
	for _, d := range stepinit.ScratchDirs {
		if v.user != nil && isUnder(path, d) {
			// The step had its own, gone with it; the host's is not the step's.
			return -1, fmt.Errorf("the step's own %s ended with it: write outputs under /tmp or the working directory", d)
		}
	}
	if dir, rel, ok := v.root.HostIn(path); ok {
		// The step's own root: what the step made there may lead anywhere.
		d, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, err
		}
		defer func() { _ = unix.Close(d) }()
		how.Resolve |= unix.RESOLVE_IN_ROOT
		return unix.Openat2(d, rel, &how)
	}
	fd := -1
	err := asUser(v.user, func() error {
		var err error
		if fd, err = unix.Openat2(unix.AT_FDCWD, path, &how); err != nil {
			return err
		}
		var fs unix.Statfs_t
		if err := unix.Fstatfs(fd, &fs); err != nil || fs.Type == unix.PROC_SUPER_MAGIC {
			_ = unix.Close(fd)
			fd = -1
			return fmt.Errorf("outputs are not read from /proc")
		}
		return nil
	})
	return fd, err
}

// asUser runs fn on an OS thread of its own that has taken u's
// credentials: Linux keeps credentials per thread, and the raw system
// calls (unlike Go's syscall.Setuid) change only the calling thread. The
// thread is never unlocked, so Go discards it when the goroutine ends and
// no other goroutine ever runs with those credentials; threads Go starts
// meanwhile are cloned from its template thread, not from this one.
func asUser(u *StepUser, fn func() error) error {
	if u == nil {
		return fn()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if _, _, e := syscall.RawSyscall(unix.SYS_SETGROUPS, 0, 0, 0); e != 0 {
			errc <- fmt.Errorf("dropping groups: %w", e)
			return
		}
		if _, _, e := syscall.RawSyscall(unix.SYS_SETRESGID, uintptr(u.GID), uintptr(u.GID), uintptr(u.GID)); e != 0 {
			errc <- fmt.Errorf("setresgid %d: %w", u.GID, e)
			return
		}
		if _, _, e := syscall.RawSyscall(unix.SYS_SETRESUID, uintptr(u.UID), uintptr(u.UID), uintptr(u.UID)); e != 0 {
			errc <- fmt.Errorf("setresuid %d: %w", u.UID, e)
			return
		}
		errc <- fn()
	}()
	return <-errc
}
