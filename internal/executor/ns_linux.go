package executor

import (
	"os"
	"syscall"
)

// privateTmp binds the step's own tmp directory over /tmp. It only
// succeeds inside the fresh mount namespace the engine started the
// supervisor in; otherwise the caller falls back to TMPDIR.
func privateTmp(enabled bool, dir string) error {
	if err := os.MkdirAll(dir, 0o1777); err != nil {
		return err
	}
	if !enabled {
		return syscall.ENOTSUP
	}
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return err
	}
	return syscall.Mount(dir, "/tmp", "", syscall.MS_BIND, "")
}

// namespaceAttr starts a supervisor in a new mount namespace when the
// host allows it.
func namespaceAttr(attr *syscall.SysProcAttr) bool {
	if os.Geteuid() != 0 {
		return false
	}
	attr.Unshareflags = syscall.CLONE_NEWNS
	return true
}
