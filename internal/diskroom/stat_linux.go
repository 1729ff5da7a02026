package diskroom

import "syscall"

// Of measures the filesystem holding path: the room an unprivileged
// writer may still use, and its size. ok is false when it cannot be
// measured.
func Of(path string) (r Room, ok bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return Room{}, false
	}
	return Room{Free: st.Bavail * uint64(st.Bsize), Size: st.Blocks * uint64(st.Bsize)}, true
}
