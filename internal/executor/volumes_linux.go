package executor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/stepinit"
)

// A step's volumes are directories on the host bound at their mount
// paths in the step's own mount namespace, after its root is built
// (steproot_linux.go), so nothing is mounted or made on the host's /:
//   - a workflow's volume (a volumeClaimTemplate, a persistentVolumeClaim)
//     is Mount.Dir, made by the engine's rules under the workflow's
//     directory, so every step of the workflow shares it and no other
//     workflow sees it;
//   - an emptyDir is the step's own, DIR/volumes/NAME, shared by the
//     step's containers (a containerSet's) and gone with the step's
//     directory. One at /tmp is the step's private /tmp.
//
// A subPath is made inside the volume one name at a time, never through
// a link (what a volume holds was written by steps, which are not
// trusted), and bound by handle. Volume mounts are nosuid and nodev;
// readOnly ones read-only.

// VolumesDir is where a step's emptyDir volumes are, in its directory.
const VolumesDir = "volumes"

// volumeBind is a volume as the step's root binds it.
type volumeBind = stepinit.VolumeBind

func mountError(m Mount, format string, a ...any) error {
	return fmt.Errorf("mountPath %q for volume %q: %s", m.Path, m.Volume, fmt.Sprintf(format, a...))
}

// errNeedsNamespace says why a step with volumes cannot run here.
func errNeedsNamespace(ms []Mount) error {
	m := ms[0]
	return fmt.Errorf("volume %q at %s: a step sees a volume at its mountPath only in a mount namespace of its own: "+
		"run semaflow as root, with --private-tmp (the default)", m.Volume, m.Path)
}

// checkMounts refuses mounts that would cover the host's / or kernel
// filesystems, the step's own directories or a volume's, or /tmp with a
// shared volume (the step's script lies there); it drops repeats and
// emptyDirs at /tmp, and refuses two volumes at one path or one inside
// another's.
func checkMounts(dir string, ms []Mount) ([]Mount, error) {
	var out []Mount
	for _, m := range ms {
		if m.Volume == "" || m.Volume == "." || m.Volume == ".." || strings.ContainsAny(m.Volume, "/\x00") {
			return nil, fmt.Errorf("volumeMounts: %q is not a volume name", m.Volume)
		}
		if err := spec.CheckMountPath(m.Path); err != nil {
			return nil, mountError(m, "%v", err)
		}
		if err := spec.CheckSubPath(m.SubPath); err != nil {
			return nil, mountError(m, "subPath %q: %v", m.SubPath, err)
		}
		m.Path, m.SubPath = filepath.Clean(m.Path), filepath.Clean(m.SubPath)
		if m.SubPath == "." {
			m.SubPath = ""
		}
		if m.Path == "/tmp" {
			if m.Dir == "" {
				continue // the step's own /tmp is an emptyDir already
			}
			return nil, mountError(m, "the step's /tmp is its own (semaflow puts the step's script there): mount the volume below it")
		}
		for _, own := range []string{dir, m.Dir} {
			if own != "" && (isUnder(own, m.Path) || isUnder(m.Path, own)) {
				return nil, mountError(m, "it would cover the step's own directories in the data directory (%s)", own)
			}
		}
		if i := slices.IndexFunc(out, func(o Mount) bool { return o.Path == m.Path }); i >= 0 {
			if out[i] != m {
				return nil, mountError(m, "volume %q is mounted there too: one path takes one volume", out[i].Volume)
			}
			continue
		}
		out = append(out, m)
	}
	for _, a := range out {
		for _, b := range out {
			if a.Path != b.Path && isUnder(b.Path, a.Path) {
				return nil, mountError(b, "it lies inside volume %q at %s: semaflow does not nest volume mounts", a.Volume, a.Path)
			}
		}
	}
	return out, nil
}

// prepareVolume makes m's directory (an emptyDir's in the step's
// directory dir) and its subPath, owned by user (nil: root).
func prepareVolume(dir string, m Mount, user *StepUser) (volumeBind, error) {
	b := volumeBind{Seen: m.Path, Volume: m.Volume, Dir: m.Dir, Sub: m.SubPath, ReadOnly: m.ReadOnly}
	if b.Dir == "" {
		b.Dir = filepath.Join(dir, VolumesDir, m.Volume)
	}
	fail := func(err error) (volumeBind, error) { return b, fmt.Errorf("volume %q: %w", m.Volume, err) }
	if err := os.MkdirAll(filepath.Dir(b.Dir), 0o700); err != nil {
		return fail(err)
	}
	if err := os.Mkdir(b.Dir, 0o755); err == nil && user != nil {
		if err := os.Lchown(b.Dir, int(user.UID), int(user.GID)); err != nil {
			return fail(err)
		}
	} else if err != nil && !errors.Is(err, os.ErrExist) {
		return fail(err)
	}
	if m.Memory && m.Dir == "" {
		if err := memoryVolume(b.Dir, m.MemoryBytes, user); err != nil {
			return fail(err)
		}
	}
	if b.Sub == "" {
		return b, nil
	}
	fd, err := unix.Open(b.Dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fail(err)
	}
	defer func() { _ = unix.Close(fd) }()
	for name := range strings.SplitSeq(b.Sub, "/") { // bounded by the subPath's length
		err := unix.Mkdirat(fd, name, 0o755)
		switch {
		case err == nil && user != nil:
			if err := unix.Fchownat(fd, name, int(user.UID), int(user.GID), unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return fail(err)
			}
		case err != nil && !errors.Is(err, unix.EEXIST):
			return fail(fmt.Errorf("subPath %s: %w", b.Sub, err))
		}
		next, err := unix.Openat(fd, name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fail(fmt.Errorf("subPath %s: %s is not a directory of the volume (a link?): %w", b.Sub, name, err))
		}
		_ = unix.Close(fd)
		fd = next
	}
	return b, nil
}

// dropEmptyDirs removes the step's emptyDirs once it ended and its
// outputs were read: an emptyDir lives and dies with its step, as with
// its pod; a memory one's tmpfs is unmounted first. What the step left
// there is its own; nothing is followed.
func dropEmptyDirs(dir string) {
	vols := filepath.Join(dir, VolumesDir)
	fd, err := unix.Open(vols, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return // most steps have none: nothing to remove
	}
	if err == nil {
		f := os.NewFile(uintptr(fd), vols)
		names, _ := f.Readdirnames(maxVolumes)
		_ = f.Close()
		for _, n := range names {
			if mounted(filepath.Join(vols, n)) {
				_ = unix.Unmount(filepath.Join(vols, n), unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW)
			}
		}
	}
	_ = os.RemoveAll(vols)
}

// maxVolumes bounds the emptyDirs of a step looked at for a tmpfs.
const maxVolumes = 1024

// memoryVolume makes dir, an emptyDir of medium Memory, a tmpfs of size
// bytes (0: the kernel's default), owned by user, unless one of the
// step's mounts of the volume did already. It is mounted on the host, in
// the step's directory, so the supervisor reads outputs there after the
// step; dropEmptyDirs unmounts it (also after a restart, on adoption).
func memoryVolume(dir string, size int64, user *StepUser) error {
	if mounted(dir) {
		return nil
	}
	opts := "mode=0755"
	if size > 0 {
		opts += fmt.Sprintf(",size=%d", size)
	}
	if user != nil {
		opts += fmt.Sprintf(",uid=%d,gid=%d", user.UID, user.GID)
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		return fmt.Errorf("medium Memory: mounting a tmpfs (%s): %w", opts, err)
	}
	return nil
}

// mounted says whether something is mounted at dir: it lies on another
// device than its parent.
func mounted(dir string) bool {
	var st, parent unix.Stat_t
	if unix.Lstat(dir, &st) != nil || unix.Lstat(filepath.Dir(dir), &parent) != nil {
		return false
	}
	return st.Mode&unix.S_IFMT == unix.S_IFDIR && st.Dev != parent.Dev
}
