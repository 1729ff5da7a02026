//go:build unix

package server

import "syscall"

// openFileLimit is the process's open-file limit (soft), 0 if unknown.
func openFileLimit() int {
	var r syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r) != nil || r.Cur > 1<<30 {
		return 0
	}
	return int(r.Cur)
}
