//go:build unix

package fetch

import (
	"os"
	"os/exec"
	"syscall"
)

// asUser makes cmd run as u (when set) in its own process group, which a
// cancelled context ends whole: git's transport helpers with it.
func asUser(cmd *exec.Cmd, u *User) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if u != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: u.UID, Gid: u.GID, NoSetGroups: false}
	}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}

// chownTo gives path to u (when set).
func chownTo(path string, u *User) error {
	if u == nil {
		return nil
	}
	return os.Lchown(path, int(u.UID), int(u.GID))
}
