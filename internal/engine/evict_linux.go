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
