package main

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The same `run --db` command run again after a kill -9 resumes the
// workflows it had submitted under fixed names instead of clashing with
// them and terminating everything.
func TestRerunAfterKillResumesFixedNames(t *testing.T) {
	db := filepath.Join(t.TempDir(), "rerun.db")
	wf := writeFile(t, "fixed.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: fixed}
spec:
  entrypoint: main
  templates:
  - {name: main, container: {image: x, command: [sleep, "2"]}}
`)
	first := exec.Command(binary, "run", "--plain", "--db", db, "--count", "2", wf)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	_ = first.Process.Kill()
	_ = first.Wait()
	wfs, stderr, code := runJSON(t, "--db", db, "--count", "2", wf)
	if code != 0 || len(wfs) != 2 {
		t.Fatalf("exit %d, %d workflows:\n%s", code, len(wfs), stderr)
	}
	for _, w := range wfs {
		if w.Status.Phase != "Succeeded" {
			t.Fatalf("%s %s: %s\n%s", w.Metadata.Name, w.Status.Phase, w.Status.Message, stderr)
		}
	}
	if !strings.Contains(stderr, "not submitted again") {
		t.Fatalf("the rerun does not say it resumed rather than resubmitted:\n%s", stderr)
	}
}

// The same `run --db --count` command run again after a kill -9 covers
// every copy it names: those still unfinished are resumed, and one that
// had finished before the kill is reported with its stored state rather
// than refused as "already exists" (which used to terminate the resumed
// ones too).
func TestRerunAfterKillReportsCopiesFinishedBefore(t *testing.T) {
	db := filepath.Join(t.TempDir(), "rerun.db")
	wf := writeFile(t, "fixed.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: fixed}
spec:
  entrypoint: main
  templates:
  - {name: main, container: {image: x, command: [sleep, "1"]}}
`)
	args := []string{"--db", db, "--parallelism", "1", "--count", "3", wf}
	first := exec.Command(binary, append([]string{"run", "--plain"}, args...)...)
	out, err := first.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	// Killed once the first copy has Succeeded: the others still wait
	// or run (--parallelism 1).
	done := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 3 && f[1] == "fixed-1" && f[2] == "Succeeded" {
				done <- true
				return
			}
		}
		done <- false
	}()
	select {
	case ok := <-done:
		if !ok {
			t.Fatal("the first run ended before fixed-1 Succeeded")
		}
	case <-time.After(60 * time.Second):
		t.Fatal("fixed-1 did not Succeed within 60s")
	}
	_ = first.Process.Kill()
	_ = first.Wait()
	wfs, stderr, code := runJSON(t, args...)
	var names []string
	for _, w := range wfs {
		names = append(names, w.Metadata.Name+":"+w.Status.Phase)
	}
	got := strings.Join(names, ",")
	for _, want := range []string{"fixed-1:Succeeded", "fixed-2:Succeeded", "fixed-3:Succeeded"} {
		if !strings.Contains(got, want) {
			t.Fatalf("rerun: exit %d, workflows %s, want %s among them:\n%s", code, got, want, stderr)
		}
	}
	if code != 0 || len(wfs) != 3 {
		t.Fatalf("rerun: exit %d, workflows %s:\n%s", code, got, stderr)
	}
	if !strings.Contains(stderr, "finished") || strings.Contains(stderr, "already exists") {
		t.Fatalf("the rerun does not say a copy had finished earlier:\n%s", stderr)
	}
}

// A fixed name already taken by a different workflow (another manifest
// under the same name) is still refused, as argo submit refuses it.
func TestRerunRefusesANameTakenByAnotherWorkflow(t *testing.T) {
	db := filepath.Join(t.TempDir(), "rerun.db")
	one := writeFile(t, "one.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: same}\nspec:\n  entrypoint: main\n  templates:\n  - {name: main, container: {image: x, command: [\"true\"]}}\n")
	other := writeFile(t, "other.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: same}\nspec:\n  entrypoint: main\n  templates:\n  - {name: main, container: {image: x, command: [\"false\"]}}\n")
	if out, code := runWithin(t, 60*time.Second, "run", "--plain", "--db", db, one); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, out)
	}
	if out, code := runWithin(t, 60*time.Second, "run", "--plain", "--db", db, other); code == 0 || !strings.Contains(out, "already exists") {
		t.Fatalf("a different workflow under a taken name: exit %d, want a refusal:\n%s", code, out)
	}
}
