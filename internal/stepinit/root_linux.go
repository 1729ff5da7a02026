package stepinit

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// A step's own root (and its volumes, volume_linux.go) is planned by the
// supervisor (internal/executor: steproot_linux.go, volumes_linux.go) and
// built here: by the step init for a step run as the step user, by the
// supervisor's spawning thread otherwise.

// MaxShadowEntries bounds the binds a shadowed directory costs.
const MaxShadowEntries = 2048

// Root is what the supervisor prepared for a step root, on the host;
// the step init gets it in its configuration.
type Root struct {
	// Shadows[0] is the step's / (DIR/root); the rest follow by depth, so
	// a directory is shadowed before one inside it.
	Shadows []Shadow `json:"shadows"`
	// Volumes are bound at their mount points, made in the shadows, once
	// the shadows are in place (volumes_linux.go).
	Volumes []VolumeBind `json:"volumes,omitempty"`
	// Inputs are the input paths that are the step's own in the shadows
	// (made just now, so nothing of the step's lies there yet): the
	// supervisor places them, for a step user too (ownInputs).
	Inputs []string `json:"-"`
}

// Shadow is a directory the step sees at Seen: Dir on the host, into
// which the step root binds the host's entries at Seen by name, but for
// Own, which are the step's, and Links, links of the step's.
type Shadow struct {
	Seen  string            `json:"seen"`
	Dir   string            `json:"dir"`
	Own   []string          `json:"own,omitempty"`
	Links map[string]string `json:"links,omitempty"`
}

// declaredOutput is a path the step is to leave an output at, and what

// Host is where the supervisor finds path, as the step saw it.
func (r *Root) Host(path string) (string, bool) {
	dir, rel, ok := r.HostIn(path)
	if !ok {
		return "", false
	}
	return filepath.Join(dir, rel), true
}

// HostIn is the step's own directory that holds path, and path within
// it: the deepest shadow above path decides.
func (r *Root) HostIn(path string) (dir, rel string, ok bool) {
	if r == nil {
		return "", "", false
	}
	p := filepath.Clean(path)
	if dir, rel, ok := volumeHostIn(r.Volumes, p); ok {
		return dir, rel, true
	}
	for i := len(r.Shadows) - 1; i >= 0; i-- {
		s := r.Shadows[i]
		rel, ok := Under(p, s.Seen)
		if !ok || rel == "." {
			continue
		}
		name, _, _ := strings.Cut(rel, "/")
		if slices.Contains(s.Own, name) {
			return s.Dir, rel, true
		}
		return "", "", false
	}
	return "", "", false
}

// Open opens the step's own directories, then its volumes', before the
// step's namespace may hide their paths.
func (r *Root) Open() ([]int, error) {
	fds := make([]int, 0, len(r.Shadows)+len(r.Volumes))
	for _, s := range r.Shadows {
		fd, err := syscall.Open(s.Dir, unix.O_PATH|syscall.O_DIRECTORY|syscall.O_CLOEXEC|syscall.O_NOFOLLOW, 0)
		if err != nil {
			CloseAll(fds)
			return nil, fmt.Errorf("the step's own %s: %w", s.Seen, err)
		}
		fds = append(fds, fd)
	}
	for _, v := range r.Volumes {
		fd, err := v.Open()
		if err != nil {
			CloseAll(fds)
			return nil, err
		}
		fds = append(fds, fd)
	}
	return fds, nil
}

// CloseAll closes Open's descriptors.
func CloseAll(fds []int) {
	for _, fd := range fds {
		_ = syscall.Close(fd)
	}
}

// Enter builds the root in the step's mount namespace and chroots the
// spawning thread into it (its filesystem attributes are its own since
// privateTmp's unshare). It runs after /tmp was bound, so the root's
// /tmp is the step's. fds are r.Open's.
func (r *Root) Enter(fds []int) error {
	if len(fds) != len(r.Shadows)+len(r.Volumes) || len(r.Shadows) == 0 {
		return errors.New("the step's own root: its directories are not open")
	}
	if err := r.Shadows[0].fill(fds[0]); err != nil {
		return err
	}
	if err := syscall.Fchdir(fds[0]); err != nil {
		return fmt.Errorf("the step's own root: fchdir: %w", err)
	}
	if err := syscall.Chroot("."); err != nil {
		return fmt.Errorf("the step's own root: chroot: %w", err)
	}
	// Shadowed after the chroot, at paths that now lead through the
	// root's binds of the host's directories (and of shallower shadows).
	for i, s := range r.Shadows[1:] {
		fd := fds[i+1]
		if err := s.fill(fd); err != nil {
			return err
		}
		if err := syscall.Mount(FdPath(fd), s.Seen, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
			return fmt.Errorf("the step's own %s: %w", s.Seen, err)
		}
	}
	for i, v := range r.Volumes {
		if err := v.Bind(fds[len(r.Shadows)+i]); err != nil {
			return err
		}
	}
	return syscall.Chdir("/")
}

// fill binds the host's entries at s.Seen into the directory open as fd,
// all but the step's own, and makes the step's links.
func (s Shadow) fill(fd int) error {
	fail := func(what string, err error) error { return fmt.Errorf("the step's own %s: %s: %w", s.Seen, what, err) }
	f, err := os.Open(s.Seen)
	if err != nil {
		return fail(s.Seen, err)
	}
	names, err := f.Readdirnames(MaxShadowEntries + 1)
	_ = f.Close()
	if err != nil && !errors.Is(err, io.EOF) { // EOF: an empty directory
		return fail(s.Seen, err)
	}
	if len(names) > MaxShadowEntries {
		return fail(s.Seen, fmt.Errorf("more than %d entries", MaxShadowEntries))
	}
	for _, name := range names {
		if slices.Contains(s.Own, name) || s.Links[name] != "" {
			continue
		}
		if err := bindEntry(fd, filepath.Join(s.Seen, name), name); err != nil {
			return fail(filepath.Join(s.Seen, name), err)
		}
	}
	for name, target := range s.Links {
		if err := unix.Symlinkat(target, fd, name); err != nil && !errors.Is(err, syscall.EEXIST) {
			return fail(filepath.Join(s.Seen, name), err)
		}
	}
	return nil
}

// bindEntry shows host at name in the directory open as dirFd: a link is
// copied, anything else bound with what is mounted beneath it.
func bindEntry(dirFd int, host, name string) error {
	st, err := os.Lstat(host)
	if err != nil {
		return err
	}
	switch {
	case st.Mode()&os.ModeSymlink != 0:
		target, err := os.Readlink(host)
		if err != nil {
			return err
		}
		if err := unix.Symlinkat(target, dirFd, name); err != nil && !errors.Is(err, syscall.EEXIST) {
			return err
		}
		return nil
	case st.IsDir():
		if err := unix.Mkdirat(dirFd, name, 0o755); err != nil && !errors.Is(err, syscall.EEXIST) {
			return err
		}
	default:
		fd, err := unix.Openat(dirFd, name, unix.O_CREAT|unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o400)
		if err != nil {
			return err
		}
		_ = unix.Close(fd)
	}
	at, err := unix.Openat(dirFd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer func() { _ = unix.Close(at) }()
	return syscall.Mount(host, FdPath(at), "", syscall.MS_BIND|syscall.MS_REC, "")
}

// Under is path relative to dir, when path is dir or lies in it.
func Under(path, dir string) (string, bool) {
	if dir == "" {
		return "", false
	}
	if path == dir {
		return ".", true
	}
	rel, ok := strings.CutPrefix(path, strings.TrimSuffix(dir, "/")+"/")
	return rel, ok
}
