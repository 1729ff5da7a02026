package executor

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// readConfined reads an output file of a step run as the step user. The
// supervisor is root and the step is not trusted: its files may be
// symlinks aimed at what only root may read (the token file, the
// database, another step's files), FIFOs that never end, or huge. So the
// step's own directories are opened through openat2 confined to them (no
// link leads out, no /proc magic link is followed), as is the step's own
// root (a workingDir the host lacks), any other path with
// the step user's credentials and never on /proc, and only a regular
// file of at most MaxResult bytes is read.
func (v stepView) readConfined(path string) ([]byte, error) {
	fd, err := v.openConfined(filepath.Clean(path))
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
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
		if rel, ok := under(path, r.seen); ok && r.dir != nil {
			how.Resolve |= unix.RESOLVE_IN_ROOT
			return unix.Openat2(int(r.dir.Fd()), rel, &how)
		}
	}
	for _, d := range scratchDirs {
		if isUnder(path, d) {
			// The step had its own, gone with it; the host's is not the step's.
			return -1, fmt.Errorf("the step's own %s ended with it: write outputs under /tmp or the working directory", d)
		}
	}
	if dir, rel, ok := v.root.hostIn(path); ok {
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

// under says whether path lies in dir, and where relative to it.
func under(path, dir string) (string, bool) {
	if dir == "" {
		return "", false
	}
	if path == dir {
		return ".", true
	}
	rel, ok := strings.CutPrefix(path, strings.TrimSuffix(dir, "/")+"/")
	return rel, ok
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
