package executor

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// runSeq runs spec as steps one after another through s, each in a new
// directory, and returns the directories and results in order.
func runSeq(t *testing.T, s *served, n int, spec func(i int) Spec) ([]string, []*Result) {
	return runSeqThen(t, s, n, spec, nil)
}

// runSeqThen is runSeq, calling before (when set) before each step.
func runSeqThen(t *testing.T, s *served, n int, spec func(i int) Spec, before func()) ([]string, []*Result) {
	t.Helper()
	var dirs []string
	var results []*Result
	for i := range n {
		if before != nil {
			before()
		}
		dir := t.TempDir()
		key := fmt.Sprintf("k%d", i)
		sp := spec(i)
		s.send(t, request{Op: "start", Key: key, Dir: dir, Spec: &sp})
		s.await(t, key, "exited")
		r, err := ReadResult(dir)
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
		results = append(results, r)
	}
	return dirs, results
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	st, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Sys().(*syscall.Stat_t).Ino
}

// A step that leaves its tmp and work empty gives them to a later step:
// on a filesystem where making an inode is slow (ext4 without a journal
// scans recently deleted ones), a step then costs no new directory but
// its own. The directories are moved, so the finished step no longer
// has them, and their inode is the one a later step's /tmp and working
// directory are. The first steps may find the pool empty (a step's
// directories are offered after its result is sent), so it is enough
// that some step within the run gets an earlier one's.
func TestEmptyStepDirsAreRecycled(t *testing.T) {
	s := startServe(t)
	defer stopServe(t, s)
	dirs, results := runSeq(t, s, 12, func(int) Spec {
		return Spec{Command: []string{"sh", "-c", `stat -c %i "${TMPDIR:-/tmp}" .`}, Env: envWithout("TMPDIR")}
	})
	// Which step saw which directory as its /tmp or working directory.
	seen := map[string]int{}
	recycled := 0
	for i, r := range results {
		f := strings.Fields(r.Stdout)
		if r.ExitCode != 0 || len(f) != 2 {
			t.Fatalf("step %d: %+v", i, r)
		}
		for k, ino := range f {
			if j, ok := seen[ino]; ok {
				recycled++
				// Moved, not shared: the step it came from lost it.
				name := []string{TmpDir, WorkDir}[k]
				if fmt.Sprint(inodeOr(filepath.Join(dirs[j], name))) == ino {
					t.Errorf("step %d's %s is still step %d's", i, name, j)
				}
			}
			seen[ino] = i
		}
	}
	if recycled == 0 {
		t.Fatalf("none of %d steps got an earlier step's empty tmp or work: each made new directories", len(results))
	}
}

// envWithout is this process's environment without the variable name.
func envWithout(name string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, name+"=") {
			env = append(env, kv)
		}
	}
	return env
}

// A directory a step left something in, or replaced with a link, is
// never given to another step: its files stay where the step left them,
// and a link's target is never moved.
func TestRecycleSkipsUsedAndReplacedDirs(t *testing.T) {
	s := startServeWith(t, Isolation{SharedTmp: true})
	defer stopServe(t, s)
	target := t.TempDir()
	targetIno := inode(t, target)
	script := "echo kept > \"$TMPDIR/file\"; cd .. && rmdir work && ln -s " + target + " work"
	dirs, _ := runSeq(t, s, 1, func(int) Spec {
		return Spec{Command: []string{"sh", "-c", script}, Env: os.Environ()}
	})
	first := dirs[0]
	tmpIno := inode(t, filepath.Join(first, TmpDir))
	later, results := runSeq(t, s, 8, func(int) Spec {
		return Spec{Command: []string{"sh", "-c", "stat -c %i \"$TMPDIR\" .; readlink -f ."}, Env: os.Environ()}
	})
	for i, r := range results {
		f := strings.Fields(r.Stdout)
		if r.ExitCode != 0 || len(f) != 3 {
			t.Fatalf("step %d: %+v", i, r)
		}
		if f[0] == fmt.Sprint(tmpIno) || f[1] == fmt.Sprint(targetIno) || f[2] == target {
			t.Errorf("step %d (%s) got a directory another step used or linked: %v", i, later[i], f)
		}
	}
	if b, err := os.ReadFile(filepath.Join(first, TmpDir, "file")); err != nil || string(b) != "kept\n" {
		t.Errorf("the first step's file: %q, %v", b, err)
	}
	if inode(t, target) != targetIno {
		t.Errorf("the link's target %s was moved", target)
	}
	if l, err := os.Readlink(filepath.Join(first, WorkDir)); err != nil || l != target {
		t.Errorf("the first step's link: %q, %v", l, err)
	}
}

// A step user may widen its own working directory; the step that gets it
// after is still the only one who can enter it. (Its tmp is not looked
// at: under a test's step directory in /tmp, the step init leaves a
// directory in it to bind the working directory back.)
func TestRecycledDirIsNarrowedAgain(t *testing.T) {
	s := startIsolatedServe(t)
	env := []string{"PATH=" + os.Getenv("PATH")}
	_, results := runSeq(t, s, 12, func(int) Spec {
		return Spec{Command: []string{"sh", "-c", "stat -c '%i %a' .; chmod 777 ."}, Env: env}
	})
	seen := map[string]bool{}
	recycled := false
	for i, r := range results {
		f := strings.Fields(r.Stdout)
		if r.ExitCode != 0 || len(f) != 2 {
			t.Fatalf("step %d: %+v", i, r)
		}
		if f[1] != "700" {
			t.Errorf("step %d's working directory has mode %s, want 700", i, f[1])
		}
		recycled = recycled || seen[f[0]]
		seen[f[0]] = true
	}
	if !recycled {
		t.Fatal("no step user's step got an earlier one's working directory")
	}
}

// inodeOr is path's inode, or 0 when it is gone (moved to a later step).
func inodeOr(path string) uint64 {
	st, err := os.Lstat(path)
	if err != nil {
		return 0
	}
	return st.Sys().(*syscall.Stat_t).Ino
}

// A pooled directory replaced after it was checked is not given to the
// step that takes it: it is moved aside there, and the step makes its
// own; the other, unchanged, is given.
func TestPooledDirThatChangedIsMovedAside(t *testing.T) {
	from, to := t.TempDir(), t.TempDir()
	for _, d := range []string{TmpDir, WorkDir} {
		if err := os.Mkdir(filepath.Join(from, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	open := func(dir string) int {
		fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		return fd
	}
	p := &dirPool{}
	p.offer(open(from), gone.Process.Pid)
	if err := os.Remove(filepath.Join(from, TmpDir)); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(from, TmpDir), 0o777); err != nil {
		t.Fatal(err)
	}
	toFd := open(to)
	defer func() { _ = unix.Close(toFd) }()
	f, err := p.take(toFd, to, TmpDir, os.Geteuid(), os.Getegid())
	if f != nil || err != nil {
		t.Fatalf("a replaced tmp was given: %v, %v", f, err)
	}
	if _, err := os.Lstat(filepath.Join(to, TmpDir)); err == nil {
		t.Error("the replaced tmp is still where the step would use it")
	}
	w, err := p.take(toFd, to, WorkDir, os.Geteuid(), os.Getegid())
	if w == nil || err != nil {
		t.Fatalf("the unchanged work was not given: %v", err)
	}
	_ = w.Close()
	if _, err := os.Lstat(filepath.Join(from, WorkDir)); err == nil {
		t.Error("work was given but is still in the finished step's directory")
	}
}

// stopServe closes the supervisor's requests and waits for it to end.
func stopServe(t *testing.T, s *served) {
	t.Helper()
	_ = s.in.Close()
	if err := <-s.done; err != nil {
		t.Error(err)
	}
}
