package main

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// killWhenRunning starts `semaflow run --plain args...` and kills it with
// SIGKILL once every one of names has been reported Running: their steps
// are left to their supervisors and the workflows unfinished in the
// database.
func killWhenRunning(t *testing.T, args []string, names ...string) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"run", "--plain"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan bool, 1)
	go func() {
		left := map[string]bool{}
		for _, n := range names {
			left[n] = true
		}
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) >= 3 && f[2] == "Running" {
				delete(left, f[1])
			}
			if len(left) == 0 {
				done <- true
				return
			}
		}
		done <- false
	}()
	select {
	case ok := <-done:
		if !ok {
			t.Fatalf("run %v ended before %v were Running", args, names)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("%v not Running within 60s", names)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

// A name of the copies held in --db by a workflow that is not this
// command's copy is refused before anything is submitted: copies were
// started, then ended Failed by the late refusal and stored, and a later
// rerun reported them as finished by an earlier run and never ran them.
func TestRunRefusesUpFrontANameHeldByAnotherWorkflow(t *testing.T) {
	db := filepath.Join(t.TempDir(), "held.db")
	z3 := writeFile(t, "z3.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: z-3}\nspec:\n  entrypoint: m\n  templates:\n  - {name: m, container: {image: x, command: [\"true\"]}}\n")
	z := writeFile(t, "z.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: z}\nspec:\n  entrypoint: m\n  templates:\n  - {name: m, container: {image: x, command: [echo, z]}}\n")
	if out, code := runWithin(t, 60*time.Second, "run", "--plain", "--db", db, z3); code != 0 {
		t.Fatalf("run z-3: exit %d\n%s", code, out)
	}
	wfs, stderr, code := runJSON(t, "--db", db, "--count", "3", z)
	if code == 0 || len(wfs) != 0 {
		t.Fatalf("--count 3 with z-3 held by another workflow: exit %d, %d workflows, want a refusal:\n%s", code, len(wfs), stderr)
	}
	for _, want := range []string{"z-3", "already exists", "nothing was run", "another --db"} {
		if !strings.Contains(stderr, want) {
			t.Fatalf("the refusal does not say %q:\n%s", want, stderr)
		}
	}
	// Nothing of z was stored: a run that takes only free names submits
	// both copies afresh.
	wfs, stderr, code = runJSON(t, "--db", db, "--count", "2", z)
	if code != 0 || len(wfs) != 2 || strings.Contains(stderr, "not submitted again") {
		t.Fatalf("--count 2 after the refusal: exit %d, %d workflows, want both run afresh:\n%s", code, len(wfs), stderr)
	}
	for _, w := range wfs {
		if w.Status.Phase != "Succeeded" {
			t.Fatalf("%s %s: %s\n%s", w.Metadata.Name, w.Status.Phase, w.Status.Message, stderr)
		}
	}
}

// Copies left unfinished by a killed run are resumed by a rerun only if
// the rerun's manifest is the same: another spec under the name is
// refused up front, as for a finished copy, and leaves them for the
// right command.
func TestRerunRefusesUnfinishedCopiesOfAnotherSpec(t *testing.T) {
	db := filepath.Join(t.TempDir(), "changed.db")
	r := writeFile(t, "r.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: r}\nspec:\n  entrypoint: m\n  templates:\n  - {name: m, container: {image: x, command: [sleep, \"3\"]}}\n")
	r2 := writeFile(t, "r2.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: r}\nspec:\n  entrypoint: m\n  templates:\n  - {name: m, container: {image: x, command: [echo, changed]}}\n")
	killWhenRunning(t, []string{"--db", db, "--count", "2", r}, "r-1", "r-2")
	wfs, stderr, code := runJSON(t, "--db", db, "--count", "2", r2)
	if code == 0 || len(wfs) != 0 {
		t.Fatalf("a changed manifest over unfinished copies: exit %d, %d workflows, want a refusal:\n%s", code, len(wfs), stderr)
	}
	for _, want := range []string{"r-1", "spec differs", "nothing was run"} {
		if !strings.Contains(stderr, want) {
			t.Fatalf("the refusal does not say %q:\n%s", want, stderr)
		}
	}
	// The copies were left as they were: the original command finishes them.
	wfs, stderr, code = runJSON(t, "--db", db, "--count", "2", r)
	if code != 0 || len(wfs) != 2 || !strings.Contains(stderr, "not submitted again") {
		t.Fatalf("the original command after the refusal: exit %d, %d workflows:\n%s", code, len(wfs), stderr)
	}
	for _, w := range wfs {
		if w.Status.Phase != "Succeeded" {
			t.Fatalf("%s %s: %s\n%s", w.Metadata.Name, w.Status.Phase, w.Status.Message, stderr)
		}
	}
}

// generateName copies are not matched on a rerun: the unfinished ones
// are resumed and new ones submitted as well, and run says so (and its
// help says it before).
func TestRerunSaysGenerateNameCopiesAreNew(t *testing.T) {
	if out, code := run(t, "run", "--help"); code != 0 || !strings.Contains(out, "generateName") {
		t.Fatalf("run --help does not say how generateName copies are rerun: exit %d\n%s", code, out)
	}
	db := filepath.Join(t.TempDir(), "gen.db")
	gen := writeFile(t, "gen.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: gen-}\nspec:\n  entrypoint: m\n  templates:\n  - {name: m, container: {image: x, command: [sleep, \"2\"]}}\n")
	cmd := exec.Command(binary, "run", "--plain", "--db", db, "--count", "2", gen)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Killed once two workflows of gen- are Running (their names are
	// generated, so counted rather than named).
	running := make(chan bool, 1)
	go func() {
		seen := map[string]bool{}
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) >= 3 && f[2] == "Running" && strings.HasPrefix(f[1], "gen-") {
				seen[f[1]] = true
			}
			if len(seen) == 2 {
				running <- true
				return
			}
		}
		running <- false
	}()
	select {
	case ok := <-running:
		if !ok {
			t.Fatal("the first run ended before both copies were Running")
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the copies were not Running within 60s")
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	wfs, stderr, code := runJSON(t, "--db", db, "--count", "2", gen)
	if code != 0 || len(wfs) != 4 {
		t.Fatalf("rerun: exit %d, %d workflows, want the 2 resumed and 2 new:\n%s", code, len(wfs), stderr)
	}
	if !strings.Contains(stderr, "generateName") || !strings.Contains(stderr, "2 new") {
		t.Fatalf("the rerun does not say it resumed generateName copies and submitted new ones:\n%s", stderr)
	}
}
