package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// niceOf reads a process's nice value from /proc (the 19th field of
// stat, counted after the command name, which may hold spaces).
func niceOf(t *testing.T, pid string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	n, err := strconv.Atoi(fields[16])
	if err != nil {
		t.Fatalf("nice in /proc/%s/stat: %v", pid, err)
	}
	return n
}

// priorityWorkflow's step prints its own nice value, that of a process
// it starts, and the lowest of its parent's threads (the supervisor,
// unless the step is PID 1 of its own namespace: then "none"); then its
// scheduler slice and its parent's shortest; then its timer slack, its
// child's and its parent's longest. Nice is
// a thread's: the supervisor's thread that forked the step is lowered
// while it waits for it, and so may be its main thread, if a probe's
// spawn ran there (Go then never runs it again).
const priorityWorkflow = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: nice}
spec:
  entrypoint: main
  templates:
  - name: main
    script:
      image: x
      command: [sh]
      source: |
        self=$(cut -d' ' -f19 /proc/$$/stat)
        child=$(sh -c 'cut -d" " -f19 /proc/self/stat')
        parent=none
        if [ "$PPID" != 0 ] && [ -r /proc/$PPID/stat ]; then
          parent=$(cat /proc/$PPID/task/*/stat | cut -d' ' -f19 | sort -n | head -n 1)
        fi
        slice=none
        if [ -r /proc/$$/sched ]; then
          slice=$(grep '^se.slice' /proc/$$/sched | tr -s ' ' | cut -d' ' -f3)
        fi
        pslice=none
        if [ "$PPID" != 0 ] && [ -r /proc/$PPID/sched ]; then
          pslice=$(cat /proc/$PPID/task/*/sched | grep '^se.slice' | tr -s ' ' | cut -d' ' -f3 | sort -n | head -n 1)
        fi
        slack=$(cat /proc/self/timerslack_ns)
        cslack=$(sh -c 'cat /proc/self/timerslack_ns')
        pslack=none
        if [ "$PPID" != 0 ] && [ -r /proc/$PPID/timerslack_ns ]; then
          pslack=$(for t in /proc/$PPID/task/*; do cat /proc/${t##*/}/timerslack_ns; done | sort -n | tail -n 1)
        fi
        echo "$self $child $parent $slice $pslice $slack $cslack $pslack"
`

// stepNices runs priorityWorkflow with args and returns what its step
// printed: its nice, its child's, its parent's ("none" when not visible),
// its scheduler slice and its parent's shortest ("none" without
// /proc/PID/sched or a visible parent), its timer slack, its child's and
// its parent's longest ("none" when not visible).
func stepNices(t *testing.T, args ...string) []string {
	t.Helper()
	file := writeFile(t, "nice.yaml", priorityWorkflow)
	wfs, stderr, code := runJSON(t, append(args, file)...)
	if code != 0 || len(wfs) != 1 || wfs[0].Status.Phase != "Succeeded" {
		t.Fatalf("exit %d, %d workflows:\n%s", code, len(wfs), stderr)
	}
	for _, n := range wfs[0].Status.Nodes {
		if n.Type == "Pod" && n.Outputs != nil && n.Outputs.Result != nil {
			return strings.Fields(*n.Outputs.Result)
		}
	}
	t.Fatalf("the step printed no result: %+v", wfs[0].Status.Nodes)
	return nil
}

// As root, the engine and its supervisor run at a raised priority (nice
// 5 below semaflow's own) by default, and a step never inherits it: it
// runs, as do the processes it starts, at semaflow's own nice.
func TestControlPlaneRaisedStepsNot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("raising a priority needs root")
	}
	base := niceOf(t, "self")
	if base-5 < -20 {
		t.Skipf("this test runs at nice %d: no room to raise by 5", base)
	}
	want := fmt.Sprint(base)
	slice := ownSlice()
	slack := ownTimerSlack(t)
	got := stepNices(t, "--step-user", "")
	if len(got) != 8 || got[0] != want || got[1] != want || got[2] != fmt.Sprint(base-5) || got[3] != slice {
		t.Fatalf("step, its child, its supervisor at nice, step's slice %v; want %s %s %d %s", got, want, want, base-5, slice)
	}
	// The supervisor's threads wake late (a long timer slack); the step
	// and what it starts keep semaflow's own.
	if got[5] != slack || got[6] != slack || got[7] != "250000" {
		t.Fatalf("timer slack of the step, its child, its supervisor's longest %v; want %s %s 250000", got[5:], slack, slack)
	}
	// Where the kernel honours a thread's own slice (Linux 6.12), the
	// supervisor's threads ask for the short one.
	if customSlices(t) && got[4] != "300000" {
		t.Fatalf("the supervisor's shortest slice is %s ns, want 300000", got[4])
	}
	// Isolated: the step's init is cloned by the supervisor into new
	// namespaces and becomes the step.
	got = stepNices(t, "--step-user", "nobody")
	if len(got) != 8 || got[0] != want || got[1] != want || got[3] != slice || got[5] != slack || got[6] != slack {
		t.Fatalf("isolated step and its child at nice, step's slice, their timer slack %v; want %s %s, slice %s, slack %s", got, want, want, slice, slack)
	}
}

// ownTimerSlack is this process's timer slack (ns), which semaflow run
// inherits: what its steps must run with.
func ownTimerSlack(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/timerslack_ns")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// customSlices says whether this kernel gives a thread the slice it asks
// for: it asks for one on a thread of its own and reads it back.
func customSlices(t *testing.T) bool {
	t.Helper()
	ok := make(chan bool)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread is thrown away
		a, err := unix.SchedGetAttr(0, 0)
		if err != nil || ownSliceAt("/proc/thread-self/sched") == "none" {
			ok <- false
			return
		}
		was := *a
		a.Runtime = 250000
		honoured := unix.SchedSetAttr(0, a, 0) == nil && ownSliceAt("/proc/thread-self/sched") == "250000"
		// Back as it was: were this the main thread, Go keeps it, and
		// processes the test starts later would inherit the slice.
		_ = unix.SchedSetAttr(0, &was, 0)
		ok <- honoured
	}()
	return <-ok
}

// ownSlice is this process's scheduler slice as /proc shows it, "none"
// where it does not: a step must get the same (the default), never the
// shorter one the raised control plane asks for.
func ownSlice() string { return ownSliceAt("/proc/self/sched") }

func ownSliceAt(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "none"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "se.slice" {
			return f[2]
		}
	}
	return "none"
}

// --control-priority=false leaves everything at semaflow's own nice.
func TestControlPriorityOff(t *testing.T) {
	base := fmt.Sprint(niceOf(t, "self"))
	got := stepNices(t, "--step-user", "", "--control-priority=false")
	if len(got) != 8 || got[0] != base || got[1] != base || got[2] != base {
		t.Fatalf("step, its child, its supervisor at nice %v; want all %s", got, base)
	}
	if slack := ownTimerSlack(t); got[5] != slack || got[6] != slack || got[7] != slack {
		t.Fatalf("timer slack of the step, its child, its supervisor's longest %v; want all %s", got[5:], slack)
	}
	// Nor does any of them ask for a slice of its own.
	if slice := ownSlice(); got[3] != slice || got[4] != slice {
		t.Fatalf("step's slice %s, its supervisor's shortest %s; want both %s (this process's)", got[3], got[4], slice)
	}
}
