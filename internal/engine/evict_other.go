//go:build !linux

package engine

import "io/fs"

func allocated(info fs.FileInfo) int64 { return info.Size() }

// sameFilesystem cannot tell elsewhere: the reserve is kept.
func sameFilesystem(a, b string) bool { return false }
