package executor

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A supervisor left without an engine goes on running its steps, for the
// next engine to adopt. A step whose directory is removed meanwhile can
// never be adopted nor its result read: it is killed, not left running
// (and burning CPU) with no one to ever stop it. One whose directory was
// only moved runs on.
func TestOrphanedStepWhoseDirectoryIsRemovedIsKilled(t *testing.T) {
	before := supervisors()
	t.Cleanup(func() { killSupervisors(before) })
	root := t.TempDir()
	dirs := []string{filepath.Join(root, "gone"), filepath.Join(root, "kept"), filepath.Join(root, "moved")}
	started := make(chan string, len(dirs))
	l := &Local{Self: self(t), Isolation: Isolation{SharedTmp: true}, Started: func(key string, _ time.Time) { started <- key }}
	for _, dir := range dirs {
		if err := l.Start(Job{Key: filepath.Base(dir), Dir: dir, Spec: Spec{Command: []string{"sleep", "60"}, Env: os.Environ()}}); err != nil {
			t.Fatal(err)
		}
	}
	for range dirs {
		select {
		case <-started:
		case <-time.After(20 * time.Second):
			t.Fatal("the steps never started")
		}
	}
	var pgids []int
	for _, dir := range dirs {
		g, err := readGroup(dir)
		if err != nil {
			t.Fatal(err)
		}
		pgids = append(pgids, g.Pgid)
	}
	t.Cleanup(func() {
		for _, p := range pgids {
			_ = syscall.Kill(-p, syscall.SIGKILL)
		}
	})
	l.Detach()
	// After the supervisor took hold of the directories, as the engine
	// went: a directory moved before that is gone by its path.
	time.Sleep(time.Second)
	if err := os.RemoveAll(dirs[0]); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(dirs[2], dirs[2]+"-elsewhere"); err != nil {
		t.Fatal(err)
	}
	alive := func(pgid int) bool { return syscall.Kill(-pgid, 0) == nil }
	deadline := time.Now().Add(15 * time.Second)
	for alive(pgids[0]) {
		if time.Now().After(deadline) {
			t.Fatal("the step whose directory was removed still runs 15 s after, with no engine")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2 * orphanCheckEvery)
	if !alive(pgids[1]) || !alive(pgids[2]) {
		t.Fatalf("kept: alive %v, moved: alive %v; want both running on: the next engine adopts them", alive(pgids[1]), alive(pgids[2]))
	}
}
