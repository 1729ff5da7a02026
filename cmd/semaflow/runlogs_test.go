package main

import (
	"strings"
	"testing"
)

// A failed step's last 20 log lines follow the tree. Without --db the
// logs live in a temporary directory: they are still there when the
// slower workflow has ended and run prints them, just before it exits.
func TestRunPrintsTheFailedStepsLastLines(t *testing.T) {
	wf := writeFile(t, "ft.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: ft}
spec:
  entrypoint: main
  ttlStrategy: {secondsAfterCompletion: 0}
  templates:
  - name: main
    steps: [[{name: boom, template: boom}]]
  - name: boom
    script: {image: x, command: [sh], source: "seq -f 'line %g' 1 30; exit 3"}
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: slow}
spec:
  entrypoint: main
  templates:
  - {name: main, container: {image: x, command: [sleep, "1"]}}
`)
	out, code := run(t, "run", "--plain", wf)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	head := "Last 20 log lines of failed step ft/boom:\n"
	i := strings.Index(out, head)
	if i < 0 {
		t.Fatalf("no log tail under the tree:\n%s", out)
	}
	tail := out[i+len(head):]
	if !strings.HasPrefix(tail, "  line 11\n") || !strings.Contains(tail, "  line 30\n") || strings.Contains(tail, "line 10\n") {
		t.Fatalf("want lines 11 to 30:\n%s", tail)
	}
	if ft, slow := strings.Index(out, "Name:       ft"), strings.Index(out, "Name:       slow"); ft < 0 || ft > i || ft < slow && slow < i {
		t.Fatalf("the tail belongs under ft's tree:\n%s", out)
	}
}

// run --log prints every step's lines prefixed with workflow and step.
func TestRunLogStreamsEveryStep(t *testing.T) {
	wf := writeFile(t, "rl.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: rl}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: a, template: say, arguments: {parameters: [{name: m, value: "hello a"}]}}
      - {name: b, template: say, dependencies: [a], arguments: {parameters: [{name: m, value: "hello b"}]}}
  - name: say
    inputs: {parameters: [{name: m}]}
    script: {image: x, command: [sh], source: "echo '{{inputs.parameters.m}}'; printf 'no newline'"}
`)
	out, code := run(t, "run", "--log", wf)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{"rl/a: hello a\n", "rl/a: no newline\n", "rl/b: hello b\n", "rl/b: no newline\n"} {
		if !strings.Contains(out, want) {
			t.Fatalf("no %q in:\n%s", want, out)
		}
	}
	if strings.Index(out, "rl/a: hello a") > strings.Index(out, "rl/b: hello b") {
		t.Fatalf("a ran first, its lines come first:\n%s", out)
	}
	if strings.Index(out, "rl/b: no newline") > strings.Index(out, "Name:       rl") {
		t.Fatalf("every line comes before the tree:\n%s", out)
	}
}
