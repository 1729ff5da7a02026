package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// A relative --db works for script steps too: their script lives in the
// data directory, which steps reach from their own working directory.
func TestRelativeDBRunsScripts(t *testing.T) {
	dir := t.TempDir()
	wf := writeFile(t, "script.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: rel-}
spec:
  entrypoint: main
  templates:
  - name: main
    script: {image: x, command: [sh], source: "echo from-script"}
`)
	cmd := exec.Command(binary, "run", "--private-tmp=false", "--db", "rel.db", wf)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Succeeded") {
		t.Fatalf("%v:\n%s", err, out)
	}
	if _, err := os.Stat(dir + "/rel.db"); err != nil {
		t.Fatalf("the database is not where --db said: %v", err)
	}
}
