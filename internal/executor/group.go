package executor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A permit is released only when its holder is known dead. A step dies
// with its supervisor (its parent-death signal), but the step's own
// children do not: `sh -c "sleep 20"` leaves the sleep running. So the
// supervisor records each step's process group in the step directory
// (StateFile) before it reports the step started, and whoever finds a
// supervisor dead, the engine that started it when its pipe closes or a
// later engine adopting its steps, kills what is left of each step's
// group and waits until none of it runs before it reports the step ended.
// Where that cannot be proved, the step is not reported, and its locks
// stay held.

// GroupFile named the step's process group, as JSON, before StateFile
// held it; it is still read in the directories of older supervisors.
const GroupFile = "pgid.json"

// SupervisorDiedMessage is the Killed reason of a step whose supervisor
// died while it ran.
const SupervisorDiedMessage = "the step supervisor died; the step was killed"

// group is a step's process group as the supervisor saw it just after it
// started the step, whose pid is the group's id. A pid (and so a group id)
// can be reused once the group is empty: the session, the leader's start
// time and the boot tell a later group with the same number from this one.
type group struct {
	Pgid  int    `json:"pgid"`
	Sid   int    `json:"sid"`
	Start uint64 `json:"start"` // the leader's start, clock ticks since boot
	Boot  string `json:"boot,omitempty"`
}

// procStat is what /proc/<pid>/stat says of a process.
type procStat struct {
	state     byte
	pgrp, sid int
	start     uint64
}

// readStat parses /proc/<pid>/stat. The command name (field 2) may hold
// spaces and ')', so fields are counted after its last ')'.
//
// It is read on every step start (recordGroup), so in one read into a
// buffer on the stack rather than through os.ReadFile (which stats the
// file and reads again to see its end) and a split of every field.
func readStat(pid int) (procStat, error) {
	var pathBuf [32]byte
	path := strconv.AppendInt(append(pathBuf[:0], "/proc/"...), int64(pid), 10)
	path = append(path, "/stat"...)
	fd, err := unix.Open(string(path), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return procStat{}, &fs.PathError{Op: "open", Path: string(path), Err: err}
	}
	var buf [1024]byte
	n, err := unix.Read(fd, buf[:])
	_ = unix.Close(fd)
	if err != nil {
		return procStat{}, &fs.PathError{Op: "read", Path: string(path), Err: err}
	}
	b := buf[:max(n, 0)]
	if n == len(buf) {
		// Longer than any stat line seen: read it whole.
		if b, err = os.ReadFile(string(path)); err != nil {
			return procStat{}, err
		}
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	// f[0] is field 3 (state), f[2] field 5 (pgrp), f[3] field 6
	// (session), f[19] field 22 (start time).
	var f [20][]byte
	nf := 0
	for _, field := range bytes.Fields(b[i+1:]) {
		if nf == len(f) {
			break
		}
		f[nf] = field
		nf++
	}
	if nf < 20 || len(f[0]) != 1 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	pgrp, err1 := strconv.Atoi(string(f[2]))
	sid, err2 := strconv.Atoi(string(f[3]))
	start, err3 := strconv.ParseUint(string(f[19]), 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return procStat{state: f[0][0], pgrp: pgrp, sid: sid, start: start}, nil
}

// dead says whether a process in this state runs no code any more: a
// zombie waits only for its parent (maybe a PID 1 that never reaps).
func (p procStat) dead() bool { return p.state == 'Z' || p.state == 'X' }

// recordGroup records the group of pid, a step process just started and
// not yet waited for (so its /proc entry is there), in the step's record.
// It writes through the record's open file, not a path, so that it can run
// on the thread that started the step, which may be in the step's mount
// namespace.
func recordGroup(rec *stepRecord, pid int) error {
	fail := func(err error) error {
		return fmt.Errorf("recording the step's process group in %s: %w", rec.path, err)
	}
	st, err := readStat(pid)
	if err != nil {
		return fail(err)
	}
	if err := rec.add(kindGroup, group{Pgid: st.pgrp, Sid: st.sid, Start: st.start, Boot: bootID()}); err != nil {
		return fail(err)
	}
	return nil
}

// procTable is one scan of /proc, by process group. Many reapGroup calls
// at once (a supervisor with many steps died) share a scan, so its cost
// does not grow with their number.
var procTable struct {
	mu      sync.Mutex
	at      time.Time // when the scan began
	byGroup map[int][]procEntry
	err     error
}

type procEntry struct {
	pid int
	procStat
}

// groupsSince is a scan of /proc begun after since. The lock is held for
// the scan, so callers waiting meanwhile take its result.
func groupsSince(since time.Time) (map[int][]procEntry, error) {
	procTable.mu.Lock()
	defer procTable.mu.Unlock()
	if procTable.at.After(since) {
		return procTable.byGroup, procTable.err
	}
	at := time.Now()
	byGroup := map[int][]procEntry{}
	ents, err := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(pid); err == nil && !st.dead() {
			byGroup[st.pgrp] = append(byGroup[st.pgrp], procEntry{pid, st})
		}
	}
	procTable.at, procTable.byGroup, procTable.err = at, byGroup, err
	return byGroup, err
}

// members lists the live processes of g, as /proc showed them after
// since: in its group and its session, started no earlier than its
// leader. foreign says the group's number is also used by processes of
// another session, or older ones: g itself is gone, and its number taken
// by a later group, which must not be signalled as a whole.
func (g group) members(since time.Time) (pids []int, foreign bool, err error) {
	// No process at all in a group of that number: nothing to look at.
	if errors.Is(syscall.Kill(-g.Pgid, 0), syscall.ESRCH) {
		return nil, false, nil
	}
	byGroup, err := groupsSince(since)
	if err != nil {
		return nil, false, err
	}
	for _, p := range byGroup[g.Pgid] {
		if p.sid != g.Sid || p.start < g.Start {
			foreign = true
			continue
		}
		pids = append(pids, p.pid)
	}
	return pids, foreign, nil
}

// fate is what reapGroup learned of a step's processes.
type fate int

const (
	// noGroup: none was recorded. The step's process never ran, or its
	// supervisor died before it could record it; the parent-death signal
	// killed that process then, before it could run much.
	noGroup fate = iota
	// groupDead: no process of the step runs any more.
	groupDead
	// groupHeld: stop came before the step's death could be proved.
	groupHeld
)

// stuckWarning is how long reapGroup kills a group in vain before it
// says so.
const stuckWarning = 10 * time.Second

// reapGroup kills what is left of the process group recorded in dir,
// whose supervisor is dead, and waits until none of it runs, or until
// stop closes.
func reapGroup(dir string, stop <-chan struct{}) fate {
	path := filepath.Join(dir, StateFile)
	g, err := readGroup(dir)
	if errors.Is(err, os.ErrNotExist) {
		return noGroup
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "semaflow: %s: %v: the step's processes cannot be found, so its locks stay held\n", path, err)
		<-stop
		return groupHeld
	}
	if g.Boot != "" && g.Boot != bootID() {
		return groupDead // the machine rebooted since
	}
	warn := time.Now().Add(stuckWarning)
	for pause := 5 * time.Millisecond; ; pause = min(2*pause, 200*time.Millisecond) {
		pids, err := g.kill()
		if err == nil && len(pids) == 0 {
			return groupDead
		}
		if !warn.IsZero() && time.Now().After(warn) {
			warn = time.Time{}
			fmt.Fprintf(os.Stderr, "semaflow: the step in %s left processes %v (group %d) that do not die (%v); its locks stay held until they do\n", dir, pids, g.Pgid, err)
		}
		select {
		case <-stop:
			return groupHeld
		case <-time.After(pause):
		}
	}
}

// readGroup reads the group recorded in the step directory dir;
// os.ErrNotExist means none was recorded.
func readGroup(dir string) (group, error) {
	st, err := readState(dir)
	switch {
	case err != nil:
		return group{}, err
	case st.group == nil:
		return group{}, fmt.Errorf("the process group of the step in %s: %w", dir, fs.ErrNotExist)
	case st.group.Pgid <= 1:
		return group{}, fmt.Errorf("process group %d", st.group.Pgid)
	}
	return *st.group, nil
}

// readGroupFile reads a GroupFile of an older supervisor.
func readGroupFile(path string) (group, error) {
	var g group
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &g)
		if err == nil && g.Pgid <= 1 {
			err = fmt.Errorf("process group %d", g.Pgid)
		}
	}
	return g, err
}

// kill sends SIGKILL to what is left of g and returns the members it
// found: the whole group at once, unless its number now also belongs to
// another group's processes, which are spared.
func (g group) kill() ([]int, error) {
	pids, foreign, err := g.members(time.Now())
	if err == nil && len(pids) == 0 {
		return nil, nil
	}
	if foreign {
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	} else {
		_ = syscall.Kill(-g.Pgid, syscall.SIGKILL)
	}
	return pids, err
}

// supervisorDied is the result of a step whose supervisor died while it
// ran, once its processes are known dead.
func supervisorDied() *Result {
	return &Result{ExitCode: 128 + int(syscall.SIGKILL), Killed: SupervisorDiedMessage, Finished: time.Now()}
}
