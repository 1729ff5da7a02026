package engine

import (
	"io/fs"
	"syscall"
)

// allocated is the room a file takes on disk (a sparse file takes less
// than its size).
func allocated(info fs.FileInfo) int64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return st.Blocks * 512
	}
	return info.Size()
}

// sameFilesystem says whether directories a and b are on one filesystem.
func sameFilesystem(a, b string) bool {
	var sa, sb syscall.Stat_t
	return syscall.Stat(a, &sa) == nil && syscall.Stat(b, &sb) == nil && sa.Dev == sb.Dev
}
