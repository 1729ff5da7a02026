package stepinit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// A step must reach its own working directory by name: a shell's
// `cd "$PWD"`, or an interpreter that resolves its working directory,
// goes by the path, not by the handle the step was started in. Two
// things can hide that path: a private /tmp, when the data directory is
// under /tmp (`semaflow run` without --db keeps its data in a temporary
// directory), and, for a step run as the step user, an ancestor of the
// data directory that user cannot search (the 0700 temporary directory,
// or /root above root's data directory).

// RealPath is the path the kernel gives for an open directory: what the
// step's getcwd will say.
func RealPath(fd int) (string, error) {
	p, err := os.Readlink(FdPath(fd))
	if err != nil {
		return "", err
	}
	if !filepath.IsAbs(p) || filepath.Clean(p) != p {
		return "", fmt.Errorf("the step's working directory %q has no path the step could use", p)
	}
	return p, nil
}

// BindWorkBack makes the directory open as workFd visible at path (its
// real path, under /tmp) after the step's own directory was bound over
// /tmp. Of the directories leading to it, only the first is made in the
// step's /tmp, never through a symbolic link; a small tmpfs over it holds
// the rest, so the step's disk gets one empty directory, not a chain, and
// sees nothing else of what lies there on the host.
func BindWorkBack(workFd int, path string) error {
	rel, ok := strings.CutPrefix(path, "/tmp/")
	if !ok {
		return nil
	}
	names := strings.Split(rel, "/")
	if slices.ContainsFunc(names, func(n string) bool { return n == "" || n == "." || n == ".." }) {
		return fmt.Errorf("showing the step its working directory %s: not a clean path", path)
	}
	fail := func(err error) error { return fmt.Errorf("showing the step its working directory %s: %w", path, err) }
	dir, err := syscall.Open("/tmp", unix.O_PATH|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fail(err)
	}
	defer func() { _ = syscall.Close(dir) }()
	for i, name := range names {
		// The first, on the step's disk, is only a mount point: as private
		// as the rest of the data directory. The tmpfs ones must let a
		// step user through.
		mode := uint32(0o755)
		if i == 0 {
			mode = 0o700
		}
		if err := unix.Mkdirat(dir, name, mode); err != nil && !errors.Is(err, syscall.EEXIST) {
			return fail(err)
		}
		next, err := unix.Openat(dir, name, unix.O_PATH|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
		if err != nil {
			return fail(err)
		}
		if i == 0 && len(names) > 1 {
			err := syscall.Mount("tmpfs", FdPath(next), "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "mode=0755,size=64k")
			_ = syscall.Close(next)
			if err != nil {
				return fail(err)
			}
			// Opened again, the name leads to the new tmpfs.
			if next, err = unix.Openat(dir, name, unix.O_PATH|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0); err != nil {
				return fail(err)
			}
		}
		_ = syscall.Close(dir)
		dir = next
	}
	if err := syscall.Mount(FdPath(workFd), FdPath(dir), "", syscall.MS_BIND, ""); err != nil {
		return fail(err)
	}
	return nil
}

// UnsearchableAbove is the highest directory above path that uid:gid
// (without supplementary groups) cannot search, or "". Nothing under it
// is reachable for that user, so covering it hides nothing from the step
// but lets its own directories be bound back where it can reach them.
func UnsearchableAbove(path string, uid, gid uint32) string {
	p := "/"
	for name := range strings.SplitSeq(strings.TrimPrefix(filepath.Clean(path), "/"), "/") {
		if name == "" {
			break
		}
		p = filepath.Join(p, name)
		if p == path {
			break
		}
		var st syscall.Stat_t
		if syscall.Lstat(p, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFDIR {
			return "" // a link or a missing path: leave it as it is
		}
		if !Searchable(&st, uid, gid) {
			return p
		}
	}
	return ""
}

// Searchable says whether uid:gid (without supplementary groups) may
// search a directory with st.
func Searchable(st *syscall.Stat_t, uid, gid uint32) bool {
	switch {
	case st.Uid == uid:
		return st.Mode&0o100 != 0
	case st.Gid == gid:
		return st.Mode&0o010 != 0
	default:
		return st.Mode&0o001 != 0
	}
}
