package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// A scheduler slice semaflow was started with is the steps' too: the
// engine's raised slice is not, and neither is the default.
func TestStepsGetSemaflowsOwnSlice(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("raising a priority needs root")
	}
	if !customSlices(t) {
		t.Skip("this kernel does not honour a thread's own slice")
	}
	base := niceOf(t, "self")
	if base-5 < -20 {
		t.Skipf("this test runs at nice %d: no room to raise by 5", base)
	}
	const slice = "2500000"
	for _, user := range []string{"", "nobody"} {
		file := writeFile(t, "nice.yaml", priorityWorkflow)
		cmd := exec.Command(binary, "run", "--step-user", user, "--log", file)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := startWithSlice(cmd, 2500000); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("--step-user %q: %v\n%s", user, err, out.String())
		}
		// The step's line: its nice, its child's, its parent's, its slice
		// and its parent's shortest, then timer slacks (priority_test.go).
		var got []string
		for _, line := range strings.Split(out.String(), "\n") {
			if _, rest, ok := strings.Cut(line, ": "); ok && strings.HasPrefix(line, "nice/") {
				got = strings.Fields(rest)
			}
		}
		if len(got) != 8 || got[0] != fmt.Sprint(base) || got[3] != slice {
			t.Errorf("--step-user %q: step at nice, slice %v; want %d, %s\n%s", user, got, base, slice, out.String())
		}
	}
}

// startWithSlice starts cmd from a thread of its own whose scheduler
// slice is slice ns: the new process inherits it, as from a shell tool
// that sets it.
func startWithSlice(cmd *exec.Cmd, slice uint64) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: Go discards the thread
		a, err := unix.SchedGetAttr(0, 0)
		if err == nil {
			a.Runtime = slice
			err = unix.SchedSetAttr(0, a, 0)
		}
		if err == nil {
			err = cmd.Start()
		}
		errc <- err
	}()
	return <-errc
}
