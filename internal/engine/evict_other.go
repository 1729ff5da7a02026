//go:build !linux

package engine

import "io/fs"

func allocated(info fs.FileInfo) int64 { return info.Size() }
