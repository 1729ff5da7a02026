package executor

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/stepinit"
)

// TestMain lets the test binary be its own supervisor: Local starts
// `Self exec --serve`, and that runs exactly what `semaflow exec --serve`
// runs, over real OS pipes.
// TestMain lets the test binary be its own supervisor (`exec --serve
// --private-tmp=...`, as Local starts it) and its own step init.
func TestMain(m *testing.M) {
	if len(os.Args) == 4 && os.Args[1] == "exec" && os.Args[2] == "--init" {
		os.Exit(stepinit.Main(os.Args[3]))
	}
	if len(os.Args) >= 3 && os.Args[1] == "exec" && os.Args[2] == "--serve" {
		iso := Isolation{SharedTmp: slices.Contains(os.Args[3:], "--private-tmp=false")}
		if err := ServeIsolated(os.Stdin, os.Stdout, iso); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if len(os.Args) == 2 && os.Args[1] == selfCheckArg {
		// Run as the served programs' binary (TestIsolatedServedProgramIsSemaflow).
		fmt.Println(selfCheckReply)
		os.Exit(0)
	}
	code := m.Run()
	if initDir != "" {
		_ = os.RemoveAll(initDir)
	}
	os.Exit(code)
}

func self(t *testing.T) string {
	t.Helper()
	p, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// procState reads a process's state letter and parent from /proc; ok is
// false once the process is gone (reaped).
func procState(pid int) (state byte, ppid int, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return 0, 0, false
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 2 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	return f[0][0], ppid, true
}

// supervisors lists this process's live children that run `exec --serve`.
func supervisors() map[int]bool {
	found := map[int]bool{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if _, ppid, ok := procState(pid); !ok || ppid != os.Getpid() {
			continue
		}
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if strings.Contains(string(cmdline), "exec\x00--serve") {
			found[pid] = true
		}
	}
	return found
}

// killSupervisors ends the supervisors a failed test leaves behind, so
// the test binary can still exit.
func killSupervisors(before map[int]bool) {
	for pid := range supervisors() {
		if !before[pid] {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// A burst much larger than a pipe's buffer in both directions: every step
// must still be reported, and nothing may deadlock on a full pipe.
func TestBurstOf5000StepsAllFinish(t *testing.T) {
	const n = 5000
	before := supervisors()
	var (
		got    atomic.Int64
		mu     sync.Mutex
		failed []string
	)
	all := make(chan struct{})
	l := &Local{Self: self(t), Done: func(key string, r *Result) {
		if r.ExitCode != 0 || r.StartError != "" {
			mu.Lock()
			failed = append(failed, fmt.Sprintf("%s: exit %d %s", key, r.ExitCode, r.StartError))
			mu.Unlock()
		}
		if got.Add(1) == n {
			close(all)
		}
	}}
	root := t.TempDir()
	started := make(chan error, 1)
	go func() {
		for i := range n {
			j := Job{Key: fmt.Sprint("k", i), Dir: filepath.Join(root, fmt.Sprint(i)), Spec: Spec{Command: []string{"true"}, Env: os.Environ()}}
			if err := l.Start(j); err != nil {
				started <- fmt.Errorf("start %d: %w", i, err)
				return
			}
		}
		started <- nil
	}()
	// The bound is loose for a -race build on a loaded 2-core machine; a
	// deadlock is caught sooner, by the stall check below.
	t0 := time.Now()
	deadline := time.After(100 * time.Second)
	last, lastChange := int64(-1), time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case <-all:
			break wait
		case <-deadline:
			killSupervisors(before)
			t.Fatalf("after 100 s only %d of %d steps were reported", got.Load(), n)
		case <-tick.C:
			if c := got.Load(); c != last {
				last, lastChange = c, time.Now()
			} else if time.Since(lastChange) > 15*time.Second {
				killSupervisors(before)
				t.Fatalf("stuck: %d of %d steps reported, none for 15 s (deadlock on the pipes?)", c, n)
			}
		}
	}
	t.Logf("%d steps reported in %v", n, time.Since(t0))
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	if len(failed) > 0 {
		t.Fatalf("%d steps failed, first: %s", len(failed), failed[0])
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// Every supervisor is waited for once it exits, whether the engine
// detached from it or it died.
func TestSupervisorIsReaped(t *testing.T) {
	for _, how := range []string{"detach", "killed"} {
		t.Run(how, func(t *testing.T) {
			before := supervisors()
			t.Cleanup(func() { killSupervisors(before) })
			done := make(chan *Result, 1)
			l := &Local{Self: self(t), Done: func(_ string, r *Result) { done <- r }}
			if err := l.Start(Job{Key: "k", Dir: t.TempDir(), Spec: Spec{Command: []string{"true"}, Env: os.Environ()}}); err != nil {
				t.Fatal(err)
			}
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("the step was never reported")
			}
			var pid int
			for p := range supervisors() {
				if !before[p] {
					pid = p
				}
			}
			if pid == 0 {
				t.Fatal("no supervisor child found")
			}
			if how == "detach" {
				l.Detach()
			} else {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			var state byte
			for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
				s, ppid, ok := procState(pid)
				if !ok || ppid != os.Getpid() {
					return // reaped
				}
				state = s
			}
			t.Fatalf("supervisor %d was never reaped (state %c)", pid, state)
		})
	}
}

// When the result cannot be recorded (a full disk), the engine still
// learns the step's true outcome. The step directory is on a small tmpfs
// the step fills, and its stdout makes the result longer than the room
// left in the record's first page.
func TestOutcomeSurvivesAnUnwritableResult(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a full filesystem needs root")
	}
	before := supervisors()
	t.Cleanup(func() { killSupervisors(before) })
	disk := t.TempDir()
	if err := syscall.Mount("tmpfs", disk, "tmpfs", 0, "size=256k"); err != nil {
		t.Skipf("no tmpfs: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(disk, syscall.MNT_DETACH) })
	dir := filepath.Join(disk, "step")
	// In its working directory, on that tmpfs.
	script := "cat /dev/zero > fill 2>/dev/null; head -c 8192 /dev/zero | tr '\\0' o; exit 7"
	done := make(chan *Result, 1)
	l := &Local{Self: self(t), Done: func(_ string, r *Result) { done <- r }}
	if err := l.Start(Job{Key: "k", Dir: dir, Spec: Spec{Command: []string{"sh", "-c", script}, Env: os.Environ()}}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.ExitCode != 7 || r.StartError != "" || r.Stdout != strings.Repeat("o", 8192) {
			t.Fatalf("result exit %d, start error %q, %d bytes of stdout: want exit 7 and 8192 bytes", r.ExitCode, r.StartError, len(r.Stdout))
		}
		if _, err := ReadResult(dir); err == nil {
			t.Error("the result was recorded on a full disk: the test proves nothing")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the step was never reported")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// A supervisor that stops reading (hung, or stopped) must not stall the
// engine: Start and Kill only queue, and Detach returns after a bounded
// grace even though the pipe is full.
func TestStartKillDetachNeverBlockOnAFullPipe(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "deaf-supervisor")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexec sleep 61.25\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			if _, ppid, ok := procState(pid); ok && ppid == os.Getpid() && strings.Contains(string(cmdline), "61.25") {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	l := &Local{Self: script, Done: func(string, *Result) {}}
	finished := make(chan error, 1)
	t0 := time.Now()
	go func() {
		for i := range 1500 {
			key := fmt.Sprint("k", i)
			if err := l.Start(Job{Key: key, Dir: filepath.Join(dir, key), Spec: Spec{Command: []string{"true"}}}); err != nil {
				finished <- err
				return
			}
			l.Kill(key, "stopped by the test")
		}
		t.Logf("1500 starts and kills queued in %v", time.Since(t0))
		l.Detach()
		finished <- nil
	}()
	select {
	case err := <-finished:
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("and detached after %v", time.Since(t0))
	case <-time.After(30 * time.Second):
		t.Fatal("Start, Kill or Detach blocked on a supervisor that does not read")
	}
}
