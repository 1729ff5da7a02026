package executor

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// reopenDir opens path, which must be the directory f is open on.
func reopenDir(f *os.File, path string) (int, error) {
	fd, err := syscall.Open(path, unix.O_PATH|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("the step's working directory %s: %w", path, err)
	}
	var a, b syscall.Stat_t
	if err := syscall.Fstat(fd, &a); err != nil || syscall.Fstat(int(f.Fd()), &b) != nil || a.Dev != b.Dev || a.Ino != b.Ino {
		_ = syscall.Close(fd)
		return -1, fmt.Errorf("the step's working directory %s changed while the step started", path)
	}
	return fd, nil
}
