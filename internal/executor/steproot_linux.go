package executor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// A step root is a root directory of the step's own, DIR/root on the
// host, that a root step with a private /tmp is chrooted into. Each entry
// of the host's / is bound (or, for a link, copied) there by name, so the
// step sees the host as before; what differs is what Argo's container
// would have and the host must not get:
//   - /argosay, for argosay images, whose shells call it by that path;
//   - an output path directly under / (`/output`): the step writes it in
//     DIR/root, where its output is read;
//   - an output path deeper outside /tmp (`/mnt/out/x`): a private
//     directory of the step's (DIR/mounts/N) is bound over its nearest
//     existing parent below / (`/mnt`), which the step then sees empty.
//
// Steps of one workflow therefore never share such paths, unlike in one
// Argo pod's volume; volumes are the way to share them.

// stepRoot is what the supervisor prepared for a step root, on the host.
type stepRoot struct {
	dir    string            // DIR/root
	own    map[string]bool   // names under / the step's root has of its own
	mounts map[string]string // path the step sees -> private host directory
}

// planStepRoot says what the step's root needs, or nil when the step can
// do without one: not an argosay image, and no output outside /tmp and
// its working directory (outputs: whether those count).
func planStepRoot(dir string, spec *Spec, view stepView, outputs bool) (*stepRoot, error) {
	r := &stepRoot{dir: filepath.Join(dir, "root"), own: map[string]bool{}, mounts: map[string]string{}}
	if spec.Argosay {
		r.own[strings.TrimPrefix(argosayAt, "/")] = true
	}
	for _, o := range spec.Outputs {
		if !outputs {
			break
		}
		p := filepath.Clean(o.Path)
		if !filepath.IsAbs(p) || p == "/" || isUnder(p, "/tmp") || isUnder(p, view.workPath) ||
			(spec.WorkingDir != "" && isUnder(p, spec.WorkingDir)) || isUnder(p, "/proc") || isUnder(p, "/dev") || isUnder(p, "/sys") {
			continue
		}
		parent := filepath.Dir(p)
		for parent != "/" {
			if st, err := os.Stat(parent); err == nil && st.IsDir() {
				break
			}
			parent = filepath.Dir(parent)
		}
		if parent == "/" {
			r.own[strings.Split(strings.TrimPrefix(p, "/"), "/")[0]] = true
			continue
		}
		if _, ok := r.mounts[parent]; !ok {
			r.mounts[parent] = filepath.Join(dir, "mounts", fmt.Sprint(len(r.mounts)))
		}
	}
	if len(r.own) == 0 && len(r.mounts) == 0 {
		return nil, nil
	}
	for _, d := range append([]string{r.dir}, mapValues(r.mounts)...) {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("the step's own root: %w", err)
		}
	}
	return r, nil
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func isUnder(path, dir string) bool {
	_, ok := under(path, filepath.Clean(dir))
	return ok && dir != ""
}

// host is where the supervisor finds path, as the step saw it.
func (r *stepRoot) host(path string) (string, bool) {
	if r == nil {
		return "", false
	}
	p := filepath.Clean(path)
	for seen, d := range r.mounts {
		if rel, ok := under(p, seen); ok {
			return filepath.Join(d, rel), true
		}
	}
	if r.own[strings.Split(strings.TrimPrefix(p, "/"), "/")[0]] {
		return filepath.Join(r.dir, p), true
	}
	return "", false
}

// open opens the root and private directories, before the step's
// namespace may hide their paths.
func (r *stepRoot) open() (rootFd int, mounts map[string]int, err error) {
	rootFd, err = syscall.Open(r.dir, unix.O_PATH|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return -1, nil, fmt.Errorf("the step's own root: %w", err)
	}
	mounts = map[string]int{}
	for seen, d := range r.mounts {
		fd, err := syscall.Open(d, unix.O_PATH|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		if err != nil {
			closeAll(rootFd, mounts)
			return -1, nil, fmt.Errorf("the step's own %s: %w", seen, err)
		}
		mounts[seen] = fd
	}
	return rootFd, mounts, nil
}

func closeAll(rootFd int, mounts map[string]int) {
	_ = syscall.Close(rootFd)
	for _, fd := range mounts {
		_ = syscall.Close(fd)
	}
}

// enter builds the root in the step's mount namespace and chroots the
// spawning thread into it (its filesystem attributes are its own since
// privateTmp's unshare). It runs after /tmp was bound, so the root's
// /tmp is the step's.
func (r *stepRoot) enter(rootFd int, mounts map[string]int) error {
	fail := func(what string, err error) error { return fmt.Errorf("the step's own root: %s: %w", what, err) }
	ents, err := os.ReadDir("/")
	if err != nil {
		return fail("/", err)
	}
	for _, e := range ents {
		name := e.Name()
		if r.own[name] {
			continue
		}
		if err := bindEntry(rootFd, name); err != nil {
			return fail("/"+name, err)
		}
	}
	if r.own[strings.TrimPrefix(argosayAt, "/")] {
		// Through the served programs' directory, in the step's /tmp.
		if err := unix.Symlinkat(progBin+"/argosay", rootFd, strings.TrimPrefix(argosayAt, "/")); err != nil && !errors.Is(err, syscall.EEXIST) {
			return fail(argosayAt, err)
		}
	}
	if err := syscall.Fchdir(rootFd); err != nil {
		return fail("fchdir", err)
	}
	if err := syscall.Chroot("."); err != nil {
		return fail("chroot", err)
	}
	// Bound after the chroot, at paths that now lead through the
	// root's binds of the host's directories.
	for seen, fd := range mounts {
		if err := syscall.Mount(fdPath(fd), seen, "", syscall.MS_BIND, ""); err != nil {
			return fail(seen, err)
		}
	}
	return syscall.Chdir("/")
}

// bindEntry shows the host's /name at the root open as rootFd: a link is
// copied, anything else bound with what is mounted beneath it.
func bindEntry(rootFd int, name string) error {
	host := "/" + name
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
		if err := unix.Symlinkat(target, rootFd, name); err != nil && !errors.Is(err, syscall.EEXIST) {
			return err
		}
		return nil
	case st.IsDir():
		if err := unix.Mkdirat(rootFd, name, 0o755); err != nil && !errors.Is(err, syscall.EEXIST) {
			return err
		}
	default:
		fd, err := unix.Openat(rootFd, name, unix.O_CREAT|unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o400)
		if err != nil {
			return err
		}
		_ = unix.Close(fd)
	}
	at, err := unix.Openat(rootFd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer func() { _ = unix.Close(at) }()
	return syscall.Mount(host, fdPath(at), "", syscall.MS_BIND|syscall.MS_REC, "")
}
