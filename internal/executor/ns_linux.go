package executor

import (
	"errors"
	"os"
	"os/exec"
	"syscall"

	"github.com/semaflow/semaflow/internal/stepinit"
)

// errNoNamespace means the host refused a private mount namespace.
var errNoNamespace = errors.New("private mount namespaces are not available")

// namespacesAvailable says whether privateTmp can work at all.
func namespacesAvailable() bool { return os.Geteuid() == 0 }

// privateTmp is the setup, for spawn, that gives the step started after
// it a mount namespace of its own whose /tmp is tmp. work, when not nil,
// is the step's working directory, and workPath its real path: where
// that lies under /tmp, it is bound back inside the new /tmp, so the step
// reaches it by name (workdir_linux.go). pre, when set, runs in the new
// namespace before /tmp is covered: where a path it mounts or opens may
// lie under the host's /tmp.
//
// It runs on spawn's dedicated OS thread: the thread stops sharing
// filesystem attributes with the rest of the process, takes the new
// namespace, binds tmp over /tmp and forks the step, which inherits the
// thread's view. spawn never unlocks such a thread, so Go discards it
// when the step has ended and no other goroutine ever runs in the step's
// namespace.
//
// The host's other scratch directories (/dev/shm, /var/tmp) stay shared
// here, unlike under the step init: such a step is root and can read
// any host file anyway, and the supervisor writes its inputs and reads
// its outputs at those paths on the host, which a tmpfs of the step's
// own would hide.
func privateTmp(tmp string, work *os.File, workPath string, pre func() error) func() error {
	return func() error {
		if err := syscall.Unshare(syscall.CLONE_FS | syscall.CLONE_NEWNS); err != nil {
			return errors.Join(errNoNamespace, err)
		}
		if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
			return errors.Join(errNoNamespace, err)
		}
		// A handle from before the unshare is on the old namespace's
		// mount, which cannot be bound here: the path is opened again.
		workFd := -1
		if work != nil {
			var err error
			if workFd, err = reopenDir(work, workPath); err != nil {
				return err
			}
			defer func() { _ = syscall.Close(workFd) }()
		}
		if pre != nil {
			if err := pre(); err != nil {
				return err
			}
		}
		// Recursive, for what pre bound inside tmp.
		if err := syscall.Mount(tmp, "/tmp", "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
			return errors.Join(errNoNamespace, err)
		}
		if workFd >= 0 {
			return stepinit.BindWorkBack(workFd, workPath)
		}
		return nil
	}
}

// probePrivateTmp says whether the host lets a step have its own /tmp.
func probePrivateTmp() bool {
	done, err := spawn(exec.Command("/bin/true"), privateTmp(os.TempDir(), nil, "", nil), nil)
	if err != nil {
		return false
	}
	return <-done == nil
}
