package executor

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ProcessIdentity is this process's "pid starttime bootid" (see
// identity.go): an engine records it with its session, so that another
// engine on this host can tell it has died even if its pid was reused.
func ProcessIdentity() string { return selfIdentity() }

// ProcessAlive says whether the process an identity names still runs on
// this host; a zombie, which no longer runs anything, is not alive.
func ProcessAlive(identity string) bool {
	if !alive(identity) {
		return false
	}
	pid, err := strconv.Atoi(strings.Fields(identity)[0])
	if err != nil {
		return false
	}
	return !zombie(pid)
}

// zombie reads the state field of /proc/<pid>/stat: Z or X is a process
// that has exited and waits to be reaped.
func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return false
	}
	state := s[i+2]
	return state == 'Z' || state == 'X'
}
