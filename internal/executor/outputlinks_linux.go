package executor

import (
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/semaflow/semaflow/internal/stepinit"
)

// maxLinkHops bounds the links followed for one output path, as the
// kernel's own limit does.
const maxLinkHops = 40

// resolveLinks follows the symlinks along an output path as the step
// sees them: a link's absolute target is a path in the step's view (its
// /tmp, working directory, own root), never the host's, and a relative
// one is taken from the link's directory. Opening such a path with
// RESOLVE_IN_ROOT would read an absolute target against the root's
// directory instead (/tmp/link -> /tmp/x as TMP/tmp/x), which does not
// exist. A path reached through a link must lie in the step's own
// directories; the final open stays confined, so a link swapped in
// meanwhile still leads nowhere else.
func (v stepView) resolveLinks(path string) (string, error) {
	p := filepath.Clean(path)
	first := ""
	for hops := 0; ; {
		target, at, rest, ok := v.firstLink(p)
		if !ok {
			if first == "" {
				return p, nil
			}
			if !v.confinedPath(p) {
				return "", fmt.Errorf("symlink %s leads outside the step (to %s): outputs are read from the step's own directories", first, p)
			}
			if !v.existsInView(p) {
				// Not "no such file": the declared path exists, as a
				// link, so an optional artifact is not quietly dropped.
				return "", fmt.Errorf("symlink %s leads to %s, which does not exist in the step", first, p)
			}
			return p, nil
		}
		if first == "" {
			first = at
		}
		if hops++; hops > maxLinkHops {
			return "", fmt.Errorf("symlink %s: more than %d links to follow", first, maxLinkHops)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(at), target)
		}
		p = filepath.Clean(filepath.Join(target, rest))
	}
}

// firstLink finds the first component of p, within the step's own
// directories, that is a symlink: its target, the path of the link and
// what follows it.
func (v stepView) firstLink(p string) (target, at, rest string, ok bool) {
	comps := strings.Split(strings.TrimPrefix(p, "/"), "/")
	cur := "/"
	for i, c := range comps {
		if c == "" {
			continue
		}
		cur = filepath.Join(cur, c)
		if t, isLink := v.readViewLink(cur); isLink {
			return t, cur, strings.Join(comps[i+1:], "/"), true
		}
	}
	return "", "", "", false
}

// readViewLink reads the link at p if p is one, in one of the step's own
// directories; anything else (the host's paths, a missing file) is no
// link here, and the open that follows reports it.
func (v stepView) readViewLink(p string) (string, bool) {
	dir, rel, closeDir, ok := v.viewRoot(p)
	if !ok || rel == "." {
		return "", false
	}
	defer closeDir()
	how := unix.OpenHow{Flags: unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
	fd, err := unix.Openat2(dir, rel, &how)
	if err != nil {
		return "", false
	}
	defer func() { _ = unix.Close(fd) }()
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFLNK {
		return "", false
	}
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(fd, "", buf)
	if err != nil || n <= 0 || n >= len(buf) {
		return "", false
	}
	return string(buf[:n]), true
}

// existsInView says whether p, in one of the step's own directories,
// exists.
func (v stepView) existsInView(p string) bool {
	dir, rel, closeDir, ok := v.viewRoot(p)
	if !ok {
		return false
	}
	defer closeDir()
	how := unix.OpenHow{Flags: unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
	fd, err := unix.Openat2(dir, rel, &how)
	if err != nil {
		return false
	}
	_ = unix.Close(fd)
	return true
}

// confinedPath says whether p lies in one of the step's own directories.
func (v stepView) confinedPath(p string) bool {
	_, _, closeDir, ok := v.viewRoot(p)
	if ok {
		closeDir()
	}
	return ok
}

// viewRoot is the step's own directory p lies in, as openConfined picks
// it: an fd to resolve rel in, and how to let it go.
func (v stepView) viewRoot(p string) (dir int, rel string, closeDir func(), ok bool) {
	roots := []struct {
		seen string
		fd   int
	}{}
	add := func(seen string, fd int) {
		roots = append(roots, struct {
			seen string
			fd   int
		}{seen, fd})
	}
	if v.tmpDir != nil {
		add(v.tmp, int(v.tmpDir.Fd()))
		if v.private {
			add("/tmp", int(v.tmpDir.Fd()))
		}
	}
	if v.workDir != nil {
		add(v.work, int(v.workDir.Fd()))
		add(v.workPath, int(v.workDir.Fd()))
	}
	for _, r := range roots {
		if rel, ok := stepinit.Under(p, r.seen); ok {
			return r.fd, rel, func() {}, true
		}
	}
	if hd, rel, ok := v.root.HostIn(p); ok {
		d, err := unix.Open(hd, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, "", nil, false
		}
		return d, rel, func() { _ = unix.Close(d) }, true
	}
	return -1, "", nil, false
}
