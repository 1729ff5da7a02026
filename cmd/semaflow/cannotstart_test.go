package main

import (
	"strings"
	"testing"
)

// A command that cannot be executed is the step's own failure, as in Argo
// (test/e2e/invalid_command_test.go): the main container exits non-zero,
// so the step and the workflow end Failed, not Error, and the message says
// the executable was not found.
func TestCommandThatCannotStartFails(t *testing.T) {
	f := writeFile(t, "cannot-start.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: cannot-start
spec:
  entrypoint: main
  templates:
    - name: main
      container:
        image: argoproj/argosay:v2
        command: [semaflow-no-such-program]
`)
	wfs, stderr, _ := runJSON(t, f)
	if len(wfs) != 1 {
		t.Fatalf("%d workflows:\n%s", len(wfs), stderr)
	}
	wf := wfs[0]
	if wf.Status.Phase != "Failed" || !strings.Contains(wf.Status.Message, "executable file not found") {
		t.Fatalf("workflow %s %q, want Failed saying executable file not found", wf.Status.Phase, wf.Status.Message)
	}
	for _, n := range wf.Status.Nodes {
		if n.Phase != "Failed" {
			t.Fatalf("node %s %s %q, want Failed", n.Name, n.Phase, n.Message)
		}
	}
}
