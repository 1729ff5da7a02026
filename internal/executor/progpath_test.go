package executor

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// stepCommand resolves a program name on PATH as exec.Command does, but
// reuses the answer for a while: a wide fan-out of one program looks it up
// once, not once a step. A program installed earlier on PATH, or a PATH
// changed, is still seen.
func TestStepCommandReusesAndRenewsLookups(t *testing.T) {
	early, late := t.TempDir(), t.TempDir()
	prog := "semaflow-test-prog"
	install := func(dir string) string {
		p := filepath.Join(dir, prog)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	inLate := install(late)
	t.Setenv("PATH", early+string(os.PathListSeparator)+late)
	if c := stepCommand([]string{prog, "a"}); c.Err != nil || c.Path != inLate || len(c.Args) != 2 || c.Args[0] != prog {
		t.Fatalf("first lookup: %q %q %v", c.Path, c.Args, c.Err)
	}
	lookups := progLookups.Load()
	if c := stepCommand([]string{prog}); c.Path != inLate {
		t.Fatalf("second lookup: %q", c.Path)
	}
	if progLookups.Load() != lookups {
		t.Error("the second start of the same program looked it up again")
	}
	// Installed earlier on PATH: found once the reuse has run out.
	inEarly := install(early)
	deadline := time.Now().Add(20 * time.Second)
	for stepCommand([]string{prog}).Path != inEarly {
		if time.Now().After(deadline) {
			t.Fatal("a program installed earlier on PATH is never found")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Another PATH: looked up at once.
	t.Setenv("PATH", late)
	if c := stepCommand([]string{prog}); c.Path != inLate {
		t.Fatalf("after PATH changed: %q", c.Path)
	}
	// A name with a slash is never looked up; a missing one fails as
	// exec.Command's does.
	if c := stepCommand([]string{"./x"}); c.Path != "./x" {
		t.Errorf("a relative path: %q", c.Path)
	}
	if c := stepCommand([]string{"no-such-program-abc"}); c.Err == nil {
		t.Error("a missing program has no error")
	}
}

// A program moved earlier on PATH while its lookup is still reused is
// started from where it is now: the start through the reused path fails
// as missing, and the name is looked up again once before the step fails.
func TestStepCommandFindsAProgramMovedEarlierOnPath(t *testing.T) {
	early, late := t.TempDir(), t.TempDir()
	prog := "semaflow-test-moved"
	if err := os.WriteFile(filepath.Join(late, prog), []byte("#!/bin/sh\necho ran\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", early+string(os.PathListSeparator)+late+string(os.PathListSeparator)+os.Getenv("PATH"))
	// Reused for longer than the test runs, so the second start meets the
	// path the first one found.
	reuse := progReuse
	progReuse = time.Hour
	t.Cleanup(func() { progReuse = reuse })
	// A shared /tmp: the programs' directories are under the host's.
	s := startServeWith(t, Isolation{SharedTmp: true})
	defer stopServe(t, s)
	spec := func(int) Spec { return Spec{Command: []string{prog}, Env: os.Environ()} }
	if _, r := runSeq(t, s, 1, spec); r[0].ExitCode != 0 || r[0].Stdout != "ran\n" {
		t.Fatalf("before the move: %+v", r[0])
	}
	if err := os.Rename(filepath.Join(late, prog), filepath.Join(early, prog)); err != nil {
		t.Fatal(err)
	}
	if _, r := runSeq(t, s, 1, spec); r[0].ExitCode != 0 || r[0].Stdout != "ran\n" {
		t.Fatalf("after it moved earlier on PATH: %+v", r[0])
	}
}
