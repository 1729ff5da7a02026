package executor

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// stepEntries lists what a step left in its directory, one level deep.
func stepEntries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

// runLocal runs spec through Local in a new step directory under root
// and returns the directory once the step is reported.
func runLocal(t *testing.T, root, name string, spec Spec) (string, *Result) {
	t.Helper()
	done := make(chan *Result, 1)
	l := &Local{Self: self(t), Done: func(_ string, r *Result) { done <- r }}
	defer func() { _ = l.Close() }()
	dir := filepath.Join(root, name)
	if err := l.Start(Job{Key: name, Dir: dir, Spec: spec}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		return dir, r
	case <-time.After(30 * time.Second):
		t.Fatalf("step %s was not reported", name)
		return "", nil
	}
}

// A step costs its directory, the step's own tmp and work, and one record
// (claim, process group and result): no job file, no temporary files, and
// a log only once the step writes.
func TestStepLeavesOneRecordAndALogOnlyWhenItWrites(t *testing.T) {
	root := t.TempDir()
	dir, r := runLocal(t, root, "quiet", Spec{Command: []string{"true"}, Env: os.Environ()})
	if r.ExitCode != 0 || r.StartError != "" {
		t.Fatalf("quiet step: %+v", r)
	}
	if got, want := stepEntries(t, dir), []string{StateFile, TmpDir, WorkDir}; !slices.Equal(got, want) {
		t.Errorf("a step that wrote nothing left %v; want %v", got, want)
	}
	if got, err := ReadResult(dir); err != nil || got.ExitCode != 0 {
		t.Errorf("its result on disk: %+v, %v", got, err)
	}
	dir, r = runLocal(t, root, "loud", Spec{Command: []string{"sh", "-c", "echo out; echo err >&2"}, Env: os.Environ()})
	if r.ExitCode != 0 || r.Stdout != "out\n" {
		t.Fatalf("loud step: %+v", r)
	}
	if got, want := stepEntries(t, dir), []string{LogFile, StateFile, TmpDir, WorkDir}; !slices.Equal(got, want) {
		t.Errorf("a step that wrote left %v; want %v", got, want)
	}
	if b, err := os.ReadFile(filepath.Join(dir, LogFile)); err != nil || string(b) != "out\nerr\n" {
		t.Errorf("its log: %q, %v", b, err)
	}
}
