package main

import (
	"fmt"
	"strings"
	"testing"
)

// Argo gives `mutex-{{workflow.name}}` one mutex per workflow: two such
// workflows run at the same time.
func TestMutexPerWorkflowName(t *testing.T) {
	log := syncLog(t)
	f := writeFile(t, "per-wf.yaml", fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: own-}
spec:
  entrypoint: main
  synchronization:
    mutexes: [{name: "mutex-{{workflow.name}}"}]
  templates:
  - name: main
    container: {image: x, command: [sh, -c, '%s']}
`, recordStep(log, "$SEMAFLOW_WORKFLOW", "0.8")))
	wfs, stderr, code := runJSON(t, "--count", "2", f)
	if code != 0 || len(wfs) != 2 {
		t.Fatalf("exit %d, %d workflows\n%s", code, len(wfs), stderr)
	}
	events := readLog(t, log)
	if peak := maxConcurrent(events); peak != 2 {
		t.Fatalf("peak %d: two workflows with their own mutex-{{workflow.name}} did not run at the same time", peak)
	}
	for _, e := range events {
		if e.start {
			want := "default/Mutex/mutex-" + e.who
			if _, ok := e.tokens[want]; !ok || len(e.tokens) != 1 {
				t.Fatalf("%s ran with tokens %v, want only %s", e.who, e.tokens, want)
			}
		}
	}
}

// Workflows passing the same parameter share the lock; another value is
// another lock. Template-level names see the template's inputs.
func TestMutexFromParametersAndInputs(t *testing.T) {
	log := syncLog(t)
	doc := func(name, lock string) string {
		return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: %s}
spec:
  entrypoint: main
  arguments: {parameters: [{name: lockname, value: %s}]}
  synchronization:
    mutexes: [{name: "lock-{{workflow.parameters.lockname}}"}]
  templates:
  - name: main
    dag:
      tasks:
      - {name: a, template: locked, arguments: {parameters: [{name: group, value: x}]}}
      - {name: b, template: locked, arguments: {parameters: [{name: group, value: x}]}}
  - name: locked
    inputs: {parameters: [{name: group}]}
    synchronization:
      mutexes: [{name: "inner-{{inputs.parameters.group}}-{{workflow.name}}"}]
    container: {image: x, command: [sh, -c, '%s']}
`, name, lock, recordStep(log, "$SEMAFLOW_WORKFLOW/{{pod.name}}", "0.4"))
	}
	f := writeFile(t, "params.yaml", strings.Join([]string{doc("p1", "db"), doc("p2", "db"), doc("p3", "other")}, "---\n"))
	wfs, stderr, code := runJSON(t, f)
	if code != 0 || len(wfs) != 3 {
		t.Fatalf("exit %d, %d workflows\n%s", code, len(wfs), stderr)
	}
	events := readLog(t, log)
	if len(events) != 12 {
		t.Fatalf("%d log lines, want 12", len(events))
	}
	peaks := perLockPeak(events)
	for _, lock := range []string{"default/Mutex/lock-db", "default/Mutex/lock-other",
		"default/Mutex/inner-x-p1", "default/Mutex/inner-x-p2", "default/Mutex/inner-x-p3"} {
		if peaks[lock] != 1 {
			t.Errorf("lock %s: peak %d holders, want 1 (all peaks: %v)", lock, peaks[lock], peaks)
		}
	}
	if len(peaks) != 5 {
		t.Errorf("locks %v, want exactly the five substituted names", peaks)
	}
	if peak := maxConcurrent(events); peak != 2 {
		t.Errorf("peak %d steps at once, want 2 (p3 beside one of p1, p2)", peak)
	}
}
