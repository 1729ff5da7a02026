package executor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A step whose directories were made ahead (Prepare) starts in them as
// one whose directories its start made: its working directory is its
// work, and tmp and work are 0700 even if something widened them in
// between, since the supervisor sets the mode of directories it finds.
func TestPreparedStepStartsInItsDirectories(t *testing.T) {
	before := supervisors()
	t.Cleanup(func() { killSupervisors(before) })
	dir := filepath.Join(t.TempDir(), "wf", "step") // its parent is missing too
	l := &Local{Self: self(t)}
	l.Prepare(dir)
	for _, sub := range []string{TmpDir, WorkDir} {
		waitExists(t, filepath.Join(dir, sub))
	}
	// What a careless umask could have left: wider than 0700.
	for _, sub := range []string{TmpDir, WorkDir} {
		if err := os.Chmod(filepath.Join(dir, sub), 0o775); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan *Result, 1)
	l.Done = func(_ string, r *Result) { done <- r }
	if err := l.Start(Job{Key: "k", Dir: dir, Spec: Spec{Command: []string{"sh", "-c", "pwd -P"}, Env: os.Environ()}}); err != nil {
		t.Fatal(err)
	}
	var r *Result
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the step was never reported")
	}
	if r.ExitCode != 0 || r.StartError != "" {
		t.Fatalf("the step failed: exit %d, %q", r.ExitCode, r.StartError)
	}
	work, err := filepath.EvalSymlinks(filepath.Join(dir, WorkDir))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(r.Stdout); got != work {
		t.Errorf("the step ran in %s, want its work %s", got, work)
	}
	for _, sub := range []string{TmpDir, WorkDir} {
		fi, err := os.Stat(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o700 {
			t.Errorf("%s is %v after the step started, want 0700", sub, fi.Mode().Perm())
		}
	}
}

func waitExists(t *testing.T, path string) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	t.Fatalf("%s was not made", path)
}
