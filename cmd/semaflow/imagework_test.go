package main

import (
	"os"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Argo's python examples write result.txt relative to the image's
// working directory (/ in python:alpine) and declare /result.txt: the
// step writes it in its own working directory, which stands for the
// image's, the output is read from there, and the host's / gets nothing.
// The same with a directory below it, from a shell, and an absolute write
// still wins.
func TestOutputsRelativeToTheImagesWorkingDirectory(t *testing.T) {
	for _, p := range []string{"/result.txt", "/sf-out"} {
		if _, err := os.Lstat(p); err == nil {
			t.Skipf("the host has %s already", p)
		}
	}
	wf, stderr := runWorkflowJSON(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: imagewd}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: py, template: py}
      - {name: sh, template: sh}
      - {name: abs, template: abs}
    - - name: read
        template: read
        arguments: {artifacts: [{name: in, from: "{{steps.py.outputs.artifacts.result}}"}]}
  - name: py
    script:
      image: python:alpine3.23
      command: [python]
      source: |
        with open("result.txt", "w") as f:
          f.write("it was heads")
    outputs:
      artifacts: [{name: result, path: /result.txt}]
  - name: sh
    container: {image: alpine, command: [sh, -c, "mkdir -p sf-out && echo nested > sf-out/x.txt"]}
    outputs:
      parameters: [{name: x, valueFrom: {path: /sf-out/x.txt}}]
  - name: abs
    container: {image: alpine, command: [sh, -c, "echo absolute > /result.txt; echo relative > result.txt"]}
    outputs:
      parameters: [{name: r, valueFrom: {path: /result.txt}}]
  - name: read
    inputs: {artifacts: [{name: in, path: /tmp/in}]}
    container: {image: alpine, command: [cat, /tmp/in]}
`)
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("workflow %s: %s\n%s", wf.Status.Phase, wf.Status.Message, stderr)
	}
	if n := nodeByDisplayName(t, wf, "read"); result(n) != "it was heads" {
		t.Errorf("read: %q", result(n))
	}
	param := func(name, p string) string {
		n := nodeByDisplayName(t, wf, name)
		if n.Outputs != nil {
			for _, q := range n.Outputs.Parameters {
				if q.Name == p && q.Value != nil {
					return string(*q.Value)
				}
			}
		}
		return ""
	}
	if got := param("sh", "x"); got != "nested" {
		t.Errorf("sh: %q", got)
	}
	if got := param("abs", "r"); got != "absolute" {
		t.Errorf("abs: %q, want what the step wrote at the path itself", got)
	}
	for _, p := range []string{"/result.txt", "/sf-out"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("the step wrote the host's %s", p)
		}
	}
}
