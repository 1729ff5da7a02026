package main

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func mustRun(t *testing.T, want int, args ...string) string {
	t.Helper()
	out, code := run(t, args...)
	if code != want {
		t.Fatalf("semaflow %s: exit %d, want %d\n%s", strings.Join(args, " "), code, want, out)
	}
	return out
}

// The server verbs beyond submit: templates and cron workflows applied
// from files, logs, wait, watch, suspend/resume, retry, resubmit, list
// selectors and formats, sync through the server, and completion.
func TestCLIServerVerbs(t *testing.T) {
	s := startServer(t, "--db", filepath.Join(t.TempDir(), "db"))
	t.Setenv("SEMAFLOW_SERVER", s.url)
	objs := writeFile(t, "objects.yaml", `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: say}
spec:
  entrypoint: main
  arguments: {parameters: [{name: word, value: hello}]}
  templates:
  - name: main
    inputs: {parameters: [{name: word}]}
    container: {image: x, command: [echo, "{{inputs.parameters.word}}"]}
---
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  timezone: Europe/Paris
  workflowSpec: {workflowTemplateRef: {name: say}}
`)
	out := mustRun(t, 0, "apply", "-f", objs)
	if !strings.Contains(out, "WorkflowTemplate/say applied") || !strings.Contains(out, "CronWorkflow/nightly applied") {
		t.Fatalf("apply:\n%s", out)
	}
	if out := mustRun(t, 0, "template", "list", "-o", "name"); strings.TrimSpace(out) != "say" {
		t.Fatalf("template list:\n%s", out)
	}
	mustRun(t, 1, "template", "create", objs) // names taken
	// Lint before a submit judges references by what the server holds:
	// no warning for an applied template, an error for a missing one.
	ref := writeFile(t, "ref.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: ref-}\nspec:\n  workflowTemplateRef: {name: say}\n")
	out = mustRun(t, 0, "submit", ref)
	if strings.Contains(out, "warning") || !strings.Contains(out, " submitted") {
		t.Fatalf("submit of a workflow using an applied template:\n%s", out)
	}
	mustRun(t, 0, "delete", strings.Fields(out)[0])
	bad := writeFile(t, "bad.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: bad-}\nspec:\n  workflowTemplateRef: {name: nope}\n")
	if out := mustRun(t, 1, "submit", bad); !strings.Contains(out, `bad.yaml:5:31: spec.workflowTemplateRef.name: WorkflowTemplate "nope" not found`) {
		t.Fatalf("submit of a workflow using a missing template:\n%s", out)
	}
	if out := mustRun(t, 0, "cron", "get", "nightly"); !strings.Contains(out, "Europe/Paris") {
		t.Fatalf("cron get:\n%s", out)
	}
	mustRun(t, 0, "cron", "suspend", "nightly")
	if out := mustRun(t, 0, "cron", "get", "nightly", "-o", "json"); !strings.Contains(out, `"suspend": true`) {
		t.Fatalf("cron after suspend:\n%s", out)
	}
	mustRun(t, 0, "cron", "delete", "nightly")

	byRef := writeFile(t, "byref.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: greet}\nspec: {workflowTemplateRef: {name: say}}\n")
	mustRun(t, 0, "submit", "-p", "word=bonjour", byRef)
	if out := mustRun(t, 0, "wait", "greet"); !strings.Contains(out, "greet Succeeded") {
		t.Fatalf("wait:\n%s", out)
	}
	if out := mustRun(t, 0, "logs", "greet"); !strings.Contains(out, ": bonjour") {
		t.Fatalf("logs:\n%s", out)
	}
	if out := mustRun(t, 0, "watch", "greet"); !strings.Contains(out, "Succeeded") {
		t.Fatalf("watch of an ended workflow:\n%s", out)
	}

	// suspend, then resume: the second step waits for it.
	steps := writeFile(t, "steps.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: two}
spec:
  entrypoint: main
  templates:
  - name: main
    steps: [[{name: a, template: nap}], [{name: b, template: talk}]]
  - {name: nap, container: {image: x, command: [sleep, "3"]}}
  - {name: talk, container: {image: x, command: [echo, second]}}
`)
	mustRun(t, 0, "submit", steps)
	mustRun(t, 0, "suspend", "two")
	time.Sleep(4 * time.Second)
	if got := wfPhase(t, s.url, "two"); got != "Running" {
		t.Fatalf("suspended workflow is %s", got)
	}
	if out := mustRun(t, 0, "logs", "two"); strings.Contains(out, "second") {
		t.Fatalf("second step ran while suspended:\n%s", out)
	}
	mustRun(t, 0, "resume", "two")
	if out := mustRun(t, 0, "logs", "-f", "two"); !strings.Contains(out, ": second") {
		t.Fatalf("logs -f:\n%s", out)
	}

	// A failing workflow: wait fails, retry runs it again (still
	// failing), resubmit makes a new one.
	fail := writeFile(t, "fail.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: boom, labels: {team: a}}\nspec:\n  entrypoint: main\n  templates:\n  - {name: main, container: {image: x, command: [sh, -c, 'echo try; exit 3']}}\n")
	mustRun(t, 0, "submit", fail)
	mustRun(t, 1, "wait", "boom")
	mustRun(t, 0, "retry", "boom")
	mustRun(t, 1, "wait", "boom")
	out = mustRun(t, 0, "resubmit", "boom")
	if !strings.Contains(out, "boom resubmitted as boom-") {
		t.Fatalf("resubmit:\n%s", out)
	}
	if out := mustRun(t, 0, "list", "-l", "team=a", "-o", "name"); len(strings.Fields(out)) != 2 {
		t.Fatalf("list -l team=a:\n%s", out)
	}
	if out := mustRun(t, 0, "list", "--status", "Succeeded", "-o", "name"); strings.Fields(out)[0] != "two" || len(strings.Fields(out)) != 2 {
		t.Fatalf("list --status Succeeded:\n%s", out)
	}
	if out := mustRun(t, 0, "list", "-o", "wide"); !strings.Contains(out, "PROGRESS") || !strings.Contains(out, "team=a") {
		t.Fatalf("list -o wide:\n%s", out)
	}
	// retry --restart-successful runs a succeeded workflow's nodes again.
	if out := mustRun(t, 1, "retry", "--restart-successful", "--node-field-selector", "colour=red", "two"); !strings.Contains(out, `field "colour" is not a node field`) {
		t.Fatalf("retry with an unknown node field:\n%s", out)
	}
	mustRun(t, 0, "retry", "--restart-successful", "--node-field-selector", "phase=Succeeded", "two")
	if out := mustRun(t, 0, "wait", "two"); !strings.Contains(out, "Succeeded") {
		t.Fatalf("wait after retry --restart-successful:\n%s", out)
	}

	// Limits through the server.
	mustRun(t, 0, "sync", "set", "--create", "default/ConfigMap/limits/k", "2")
	locked := writeFile(t, "locked.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: held}\nspec:\n  entrypoint: main\n  synchronization: {semaphores: [{configMapKeyRef: {name: limits, key: k}}]}\n  templates:\n  - {name: main, container: {image: x, command: ['true']}}\n")
	mustRun(t, 0, "submit", "--watch", locked)
	if out := mustRun(t, 0, "sync", "get", "default/ConfigMap/limits/k"); !regexp.MustCompile(`default/ConfigMap/limits/k\s+2\s+0\s+0\s+1`).MatchString(out) {
		t.Fatalf("sync get through the server:\n%s", out)
	}
	// The server's lock detail and hold times reach `sync list -o json`.
	if out := mustRun(t, 0, "sync", "list", "-o", "json"); !strings.Contains(out, `"storage": "configmap"`) || !strings.Contains(out, `"holding": []`) ||
		!strings.Contains(out, `"samples": 1`) {
		t.Fatalf("sync list -o json through the server:\n%s", out)
	}
	if out := mustRun(t, 0, "completion", "bash"); !strings.Contains(out, "semaflow") {
		t.Fatalf("completion:\n%s", out)
	}
	s.stop(t)
}

// `wait` keeps waiting while the server restarts, and reports the end the
// restarted server reaches.
func TestWaitSurvivesServerRestart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	// The database as a URL, and the step data in a directory of its own.
	db, data := "sqlite://"+filepath.Join(t.TempDir(), "db"), t.TempDir()
	s := startServer(t, "--db", db, "--data", data, "--addr", addr)
	t.Setenv("SEMAFLOW_SERVER", s.url)
	nap := writeFile(t, "nap.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: nap}\nspec:\n  entrypoint: main\n  templates:\n  - {name: main, container: {image: x, command: [sleep, '3']}}\n")
	mustRun(t, 0, "submit", nap)
	wait := exec.Command(binary, "wait", "nap")
	var out bytes.Buffer
	wait.Stdout, wait.Stderr = &out, &out
	if err := wait.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	s.stop(t)
	time.Sleep(time.Second)
	s = startServer(t, "--db", db, "--data", data, "--addr", addr)
	if err := wait.Wait(); err != nil || !strings.Contains(out.String(), "nap Succeeded") {
		t.Fatalf("wait across a restart: %v\n%s", err, out.String())
	}
	s.stop(t)
	if logs, _ := filepath.Glob(filepath.Join(data, "workflows", "*", "*", "state")); len(logs) != 1 {
		t.Fatalf("step records under --data: %v", logs)
	}
	// A PostgreSQL URL with no server behind it: a clear error naming it
	// (never its password).
	ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	_ = ln.Close()
	if out, code := run(t, "server", "--db", "postgres://u:secret@"+closed+"/semaflow"); code != 1 ||
		!strings.Contains(out, closed+"/semaflow") || !strings.Contains(out, "the database is unavailable") || strings.Contains(out, "secret") {
		t.Fatalf("a PostgreSQL URL with no server: exit %d\n%s", code, out)
	}
}

// wait, watch and submit --wait on a workflow that is not there (never
// submitted, or deleted) fail at once naming it, instead of watching a
// silent stream for ever (hostile finding).
func TestWaitOnAMissingWorkflowFails(t *testing.T) {
	s := startServer(t, "--db", filepath.Join(t.TempDir(), "db"))
	for _, verb := range []string{"wait", "watch"} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		out, err := exec.CommandContext(ctx, binary, verb, "--server", s.url, "no-such").CombinedOutput()
		late := ctx.Err() != nil
		cancel()
		if late {
			t.Fatalf("%s of a missing workflow still waiting after 20s", verb)
		}
		if err == nil || !strings.Contains(string(out), "workflow default/no-such not found") {
			t.Fatalf("%s of a missing workflow: %v\n%s", verb, err, out)
		}
	}
}
