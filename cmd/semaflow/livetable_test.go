package main

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// With more workflows than trees fit, run's live view on a terminal is a
// table, one line per workflow: the wrapper step holding the semaphore
// reads "holds db" while its child runs, the others "waits db (N of M)"
// with their ETA.
func TestRunLiveTableOnATerminal(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("no `script` to provide a terminal")
	}
	wf := writeFile(t, "lt.yaml", `apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {db: "1"}
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: lt}
spec:
  entrypoint: main
  templates:
  - name: main
    steps: [[{name: wrap, template: wrap}]]
  - name: wrap
    synchronization:
      semaphores: [{configMapKeyRef: {name: cfg, key: db}}]
    steps: [[{name: work, template: work}]]
  - name: work
    container: {image: x, command: [sleep, "0.6"]}
`)
	out, err := exec.Command("script", "-qec", "stty cols 100 rows 30; "+binary+" run --count 4 "+wf, "/dev/null").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	s := string(out)
	for _, want := range []string{"WORKFLOW", "LOCK", "holds db", "waits db (1 of 3)", "waits db (2 of 3)"} {
		if !strings.Contains(s, want) {
			t.Fatalf("no %q in the live view:\n%s", want, s[max(0, len(s)-3000):])
		}
	}
	// Four holds are too few to estimate from: a waiter's ETA says so.
	if !regexp.MustCompile(`waits db \(1 of 3\) +unknown \(no history yet\)`).MatchString(s) {
		t.Fatalf("no waiter's line with an unknown ETA:\n%s", s[max(0, len(s)-3000):])
	}
	// A holder's line never says it waits.
	if regexp.MustCompile(`holds db[^\n]*waits db|waits db[^\n]*holds db`).MatchString(s) {
		t.Fatalf("a line both holds and waits:\n%s", s)
	}
	// Rows keep submission order, whichever workflow reported first.
	for _, frame := range strings.Split(s, "\x1b[H\x1b[2J") {
		if a, b := strings.Index(frame, "\nlt-3 "), strings.Index(frame, "\nlt-4 "); a > b && b >= 0 {
			t.Fatalf("lt-4 above lt-3:\n%s", frame)
		}
	}
	if !regexp.MustCompile(`lt-1 +Running +work`).MatchString(s) {
		t.Fatalf("no line for lt-1 running its step:\n%s", s[max(0, len(s)-3000):])
	}
}
