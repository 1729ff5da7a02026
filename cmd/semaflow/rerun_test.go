package main

import (
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
