package executor

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// A supervisor leaves "pid starttime bootid" in each step directory it
// runs. A pid alone is not enough to tell, after a restart, whether the
// step is still supervised: after a reboot, or once the supervisor died
// long ago, another process may carry the same pid, and the step would
// seem supervised forever, its locks never freed. The start time (clock
// ticks since boot, from /proc) and the boot id tell them apart.

// selfIdentity is this process's "pid starttime bootid", or the pid alone
// where /proc cannot say more. None of the three changes while the process
// runs, and a supervisor writes it at every step start: it is read once.
var selfIdentity = sync.OnceValue(readSelfIdentity)

func readSelfIdentity() string {
	pid := os.Getpid()
	start, err := startTime(pid)
	boot := bootID()
	if err != nil || boot == "" {
		return strconv.Itoa(pid)
	}
	return fmt.Sprintf("%d %s %s", pid, start, boot)
}

// startTime is a process's start time, in clock ticks since boot.
func startTime(pid int) (string, error) {
	st, err := readStat(pid)
	if err != nil {
		return "", err
	}
	return strconv.FormatUint(st.start, 10), nil
}

// bootID is this boot's id. It changes only with a reboot, which ends
// this process, and every step start and liveness check compares it: it
// is read once.
var bootID = sync.OnceValue(readBootID)

func readBootID() string {
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
	st, err := readStat(pid)
	if err != nil {
		return true // no /proc to say more: the pid alone decides
	}
	if st.dead() {
		return false // a zombie no one reaps supervises nothing
	}
	if len(f) == 3 && strconv.FormatUint(st.start, 10) != f[1] {
		return false // another process took the pid
	}
	return true
}
