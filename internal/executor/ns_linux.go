package executor

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"syscall"
)

// errNoNamespace means the host refused a private mount namespace.
var errNoNamespace = errors.New("private mount namespaces are not available")

// namespacesAvailable says whether startPrivate can work at all.
func namespacesAvailable() bool { return os.Geteuid() == 0 }

// startPrivate starts cmd in a new mount namespace whose /tmp is tmp.
// work, when not nil, is the step's working directory, and workPath its
// real path: where that lies under /tmp, it is bound back inside the new
// /tmp, so the step reaches it by name (workdir_linux.go).
// The namespace is made on a dedicated OS thread: the thread stops sharing
// filesystem attributes with the rest of the process, takes the new
// namespace, binds tmp over /tmp and forks the step, which inherits the
// thread's view. The goroutine never unlocks the thread, so Go discards
// the thread when the goroutine ends and no other goroutine ever runs in
// the step's namespace.
//
// The host's other scratch directories (/dev/shm, /var/tmp) stay shared
// here, unlike under the step init: such a step is root and can read
// any host file anyway, and the supervisor writes its inputs and reads
// its outputs at those paths on the host, which a tmpfs of the step's
// own would hide.
func startPrivate(cmd *exec.Cmd, tmp string, work *os.File, workPath string) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := syscall.Unshare(syscall.CLONE_FS | syscall.CLONE_NEWNS); err != nil {
			errc <- errors.Join(errNoNamespace, err)
			return
		}
		if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
			errc <- errors.Join(errNoNamespace, err)
			return
		}
		// A handle from before the unshare is on the old namespace's
		// mount, which cannot be bound here: the path is opened again.
		workFd := -1
		if work != nil {
			var err error
			if workFd, err = reopenDir(work, workPath); err != nil {
				errc <- err
				return
			}
			defer func() { _ = syscall.Close(workFd) }()
		}
		if err := syscall.Mount(tmp, "/tmp", "", syscall.MS_BIND, ""); err != nil {
			errc <- errors.Join(errNoNamespace, err)
			return
		}
		if workFd >= 0 {
			if err := bindWorkBack(workFd, workPath); err != nil {
				errc <- err
				return
			}
		}
		errc <- cmd.Start()
	}()
	return <-errc
}
