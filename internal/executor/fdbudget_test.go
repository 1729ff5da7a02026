package executor

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A supervisor's open files bound how many steps it can run at once
// (each holds pipes, its directory and a pidfd). Past that, steps wait
// for a slot instead of failing with "too many open files": a fan-out
// wider than the limit is slower, never wrong.
func TestStepsWaitForFilesInsteadOfFailing(t *testing.T) {
	const n = 150
	before := supervisors()
	t.Cleanup(func() { killSupervisors(before) })
	var (
		mu     sync.Mutex
		failed []string
		got    int
	)
	all := make(chan struct{})
	l := &Local{Self: self(t), Done: func(key string, r *Result) {
		mu.Lock()
		defer mu.Unlock()
		if r.ExitCode != 0 || r.StartError != "" {
			failed = append(failed, fmt.Sprintf("%s: exit %d %s", key, r.ExitCode, r.StartError))
		}
		if got++; got == n+1 {
			close(all)
		}
	}}
	root := t.TempDir()
	job := func(i int, cmd ...string) Job {
		return Job{Key: fmt.Sprint("k", i), Dir: filepath.Join(root, fmt.Sprint(i)), Spec: Spec{Command: cmd, Env: os.Environ()}}
	}
	if err := l.Start(job(0, "true")); err != nil {
		t.Fatal(err)
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
	// Room for about 40 running steps, far fewer than the burst.
	lim := unix.Rlimit{Cur: 320, Max: 320}
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &lim, nil); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		if err := l.Start(job(i, "sleep", "0.3")); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-all:
	case <-time.After(60 * time.Second):
		t.Fatalf("only %d of %d steps reported in 60 s", got, n+1)
	}
	if len(failed) > 0 {
		t.Fatalf("%d of %d steps failed, first: %s", len(failed), n+1, failed[0])
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}
