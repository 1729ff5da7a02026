package executor

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// A supervisor leaves "pid starttime bootid" in each step directory it
// runs. A pid alone is not enough to tell, after a restart, whether the
// step is still supervised: after a reboot, or once the supervisor died
// long ago, another process may carry the same pid, and the step would
// seem supervised forever, its locks never freed. The start time (clock
// ticks since boot, from /proc) and the boot id tell them apart.

// selfIdentity is this process's "pid starttime bootid", or the pid alone
// where /proc cannot say more.
func selfIdentity() string {
	pid := os.Getpid()
	start, err := startTime(pid)
	boot := bootID()
	if err != nil || boot == "" {
		return strconv.Itoa(pid)
	}
	return fmt.Sprintf("%d %s %s", pid, start, boot)
}

// startTime reads a process's start time from /proc/<pid>/stat: field 22,
// counted after the command name, which may itself hold spaces and ')'.
func startTime(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", errors.New("malformed stat")
	}
	fields := strings.Fields(s[i+1:])
	const startField = 22 - 3 // fields[0] is field 3, the state
	if len(fields) <= startField {
		return "", errors.New("short stat")
	}
	return fields[startField], nil
}

func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// alive tells whether the process an identity names still runs: same
// boot, a process with that pid, started at the same time. An identity
// of a pid alone is checked by the pid alone.
func alive(identity string) bool {
	f := strings.Fields(identity)
	if len(f) == 0 {
		return false
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil || pid <= 0 {
		return false
	}
	if len(f) == 3 && f[2] != bootID() {
		return false // the machine rebooted since: that process is gone
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	if len(f) == 3 {
		if start, err := startTime(pid); err == nil && start != f[1] {
			return false // another process took the pid
		}
	}
	return true
}
