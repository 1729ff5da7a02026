package stepinit

import (
	"fmt"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// VolumeBind is a volume as the step's root binds it.
type VolumeBind struct {
	Seen     string `json:"seen"` // the mountPath
	Volume   string `json:"volume"`
	Dir      string `json:"dir"`           // the volume's directory on the host
	Sub      string `json:"sub,omitempty"` // the subPath, made in Dir
	ReadOnly bool   `json:"readOnly,omitempty"`
}

// Open opens the volume's directory (its subPath), never through a link.
func (b VolumeBind) Open() (int, error) {
	fd, err := unix.Open(b.Dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil || b.Sub == "" {
		if err != nil {
			err = fmt.Errorf("volume %q: %w", b.Volume, err)
		}
		return fd, err
	}
	defer func() { _ = unix.Close(fd) }()
	sub, err := unix.Openat2(fd, b.Sub, &unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS})
	if err != nil {
		return -1, fmt.Errorf("volume %q: subPath %s: %w", b.Volume, b.Sub, err)
	}
	return sub, nil
}

// Bind mounts the volume open as fd at its path, inside the step's root
// (the spawning thread is chrooted there). The mount point is the step's
// own, made by the supervisor; it is reached without following a link.
func (b VolumeBind) Bind(fd int) error {
	fail := func(err error) error { return fmt.Errorf("volume %q at %s: %w", b.Volume, b.Seen, err) }
	at, err := unix.Openat2(unix.AT_FDCWD, b.Seen, &unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_NO_SYMLINKS})
	if err != nil {
		return fail(fmt.Errorf("the mount point (a path through a link is not followed): %w", err))
	}
	err = syscall.Mount(FdPath(fd), FdPath(at), "", syscall.MS_BIND, "")
	_ = unix.Close(at)
	if err != nil {
		return fail(err)
	}
	flags := uintptr(syscall.MS_BIND | syscall.MS_REMOUNT | syscall.MS_NOSUID | syscall.MS_NODEV)
	if b.ReadOnly {
		flags |= syscall.MS_RDONLY
	}
	if err := syscall.Mount("", b.Seen, "", flags, ""); err != nil {
		return fail(err)
	}
	return nil
}

// HostIn is the volume's directory that holds path, and path within it
// (through the subPath): the deepest mount above path decides.
func volumeHostIn(vs []VolumeBind, path string) (dir, rel string, ok bool) {
	best := -1
	for i, v := range vs {
		if _, in := Under(path, v.Seen); in && (best < 0 || len(v.Seen) > len(vs[best].Seen)) {
			best = i
		}
	}
	if best < 0 {
		return "", "", false
	}
	v := vs[best]
	r, _ := Under(path, v.Seen)
	return v.Dir, filepath.Join(v.Sub, r), true
}
