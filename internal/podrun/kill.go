package podrun

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// killGrace bounds how long the runner kills what is left after main:
// SIGKILL takes effect at once, save for a process stuck in the kernel.
const killGrace = 5 * time.Second

// maxAncestry bounds the walk up a process's parents.
const maxAncestry = 64

// proc is what /proc says of a process.
type proc struct {
	ppid, pgrp int
	zombie     bool
}

// killRest kills every process left of the pod once main has ended: the
// sidecars and whatever they or main started, found as the members of
// the runner's process group (the step's) and its descendants (orphans
// come back to it, a subreaper), and reaps the orphans among them;
// tracked are the sidecars, whose own waits reap them.
func killRest(tracked map[int]bool, stderr io.Writer) {
	self, group := os.Getpid(), syscall.Getpgrp()
	deadline := time.Now().Add(killGrace)
	for pause := time.Millisecond; ; pause = min(2*pause, 50*time.Millisecond) {
		procs := scan()
		left := 0
		for pid, p := range procs {
			if pid == self || (p.pgrp != group && !descends(procs, pid, self)) {
				continue
			}
			if p.zombie {
				if p.ppid == self && !tracked[pid] {
					var ws syscall.WaitStatus
					_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
				}
				continue
			}
			left++
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(stderr, "semaflow pod: %d processes of the pod did not die within %v of SIGKILL\n", left, killGrace)
			return
		}
		time.Sleep(pause)
	}
}

// descends says whether pid has anc among its ancestors.
func descends(procs map[int]proc, pid, anc int) bool {
	for range maxAncestry {
		p, ok := procs[pid]
		if !ok || p.ppid <= 1 {
			return p.ppid == anc
		}
		if p.ppid == anc {
			return true
		}
		pid = p.ppid
	}
	return false
}

// scan reads every process's parent, group and state from /proc.
func scan() map[int]proc {
	out := map[int]proc{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// The command name may hold spaces and ')': fields count from
		// its last ')'.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 3 {
			continue
		}
		ppid, err1 := strconv.Atoi(f[1])
		pgrp, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil {
			continue
		}
		out[pid] = proc{ppid: ppid, pgrp: pgrp, zombie: f[0] == "Z" || f[0] == "X"}
	}
	return out
}
