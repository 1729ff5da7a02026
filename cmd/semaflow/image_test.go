package main

import (
	"os"
	"strings"
	"testing"
)

// A container with no command runs its image's entrypoint: argosay's
// verbs write outputs, a shell reaches /argosay (as root: the step's own
// root), cowsay is served where the host has none, and outputs outside
// /tmp land in the step's own directories, never on the host's /.
func TestImageEntrypointsAndArgosay(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("/argosay and outputs outside /tmp need a mount namespace (root)")
	}
	for _, p := range []string{"/argosay", "/output", "/mnt/semaflow-out"} {
		if _, err := os.Lstat(p); err == nil {
			t.Skipf("%s exists on this host", p)
		}
	}
	wf := writeFile(t, "wf.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: images}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: file, template: file}
      - {name: shell, template: shell}
      - {name: cow, template: cow}
      - {name: out, template: out}
      - {name: fails, template: fails, continueOn: {failed: true}}
  - name: file
    container: {image: argoproj/argosay:v2, args: [echo, hello, /tmp/x]}
    outputs: {parameters: [{name: x, valueFrom: {path: /tmp/x}}]}
  - name: shell
    container: {image: argoproj/argosay:v2, command: [sh, -c], args: ["/argosay echo from-shell"]}
  - name: cow
    container: {image: argoproj/argosay:v1, command: [sh, -c], args: ["cowsay moo"]}
  - name: out
    container: {image: argoproj/argosay:v2, args: [echo, deep, /mnt/semaflow-out/y]}
    outputs: {parameters: [{name: y, valueFrom: {path: /mnt/semaflow-out/y}}]}
  - name: fails
    container: {image: argoproj/argosay:v2, args: [exit, "3"]}
`)
	out, code := run(t, "run", "-o", "json", wf)
	if code != 0 {
		t.Fatalf("run exited %d:\n%s", code, out)
	}
	for _, want := range []string{`"value": "hello"`, `"value": "deep"`, `"phase": "Succeeded"`, "exit code 3"} {
		if !strings.Contains(out, want) {
			t.Errorf("the workflow has no %s:\n%s", want, out)
		}
	}
	for _, p := range []string{"/argosay", "/mnt/semaflow-out"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s was made on the host", p)
		}
	}
}

// A container with no command whose image the table lacks fails with a
// message that says how to fix it; --image-table adds the image.
func TestImageTableFlag(t *testing.T) {
	wf := writeFile(t, "wf.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: table}
spec:
  entrypoint: main
  templates:
  - {name: main, container: {image: myorg/tool:1}}
`)
	out, code := run(t, "run", wf)
	if code == 0 || !strings.Contains(out, "not in the image table") {
		t.Fatalf("run without a table exited %d:\n%s", code, out)
	}
	table := writeFile(t, "images.yaml", "images:\n- image: myorg/tool\n  entrypoint: [sh, -c]\n  cmd: [\"echo from-table\"]\n")
	if out, code = run(t, "run", "--image-table", table, wf); code != 0 {
		t.Fatalf("run with the table exited %d:\n%s", code, out)
	}
}
