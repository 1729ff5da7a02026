package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The habits an argo user brings, tried against a server: version,
// submit --wait/--log/-o/--from, list -A/--running/--completed/--since,
// delete --all/--completed, @latest.
func TestCLIArgoHabits(t *testing.T) {
	if out := mustRun(t, 0, "version"); !strings.HasPrefix(out, "semaflow: v") {
		t.Fatalf("version:\n%s", out)
	}
	s := startServer(t, "--db", filepath.Join(t.TempDir(), "db"))
	t.Setenv("SEMAFLOW_SERVER", s.url)
	if out := mustRun(t, 0, "version"); !strings.Contains(out, "server:   v") {
		t.Fatalf("version with a server:\n%s", out)
	}
	hello := writeFile(t, "hello.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: hello-}\nspec:\n  entrypoint: main\n  templates:\n  - {name: main, container: {image: x, command: [echo, hello there]}}\n")
	fail := writeFile(t, "fail.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: fail-}\nspec:\n  entrypoint: main\n  templates:\n  - {name: main, container: {image: x, command: [sh, -c, 'exit 2']}}\n")
	if out := mustRun(t, 0, "submit", "--wait", hello); !regexp.MustCompile(`hello-\w+ Succeeded`).MatchString(out) {
		t.Fatalf("submit --wait:\n%s", out)
	}
	mustRun(t, 1, "submit", "--wait", fail)
	// -o name and -o json are on stdout; lint's note naming the images
	// goes to stderr.
	name, _, _ := runSplit(t, "submit", "-o", "name", hello)
	name = strings.TrimSpace(name)
	if !regexp.MustCompile(`^hello-\w+$`).MatchString(name) {
		t.Fatalf("submit -o name: %q", name)
	}
	var wf struct{ Metadata struct{ Name string } }
	wfJSON, _, _ := runSplit(t, "submit", "-o", "json", hello)
	if err := json.Unmarshal([]byte(wfJSON), &wf); err != nil || !strings.HasPrefix(wf.Metadata.Name, "hello-") {
		t.Fatalf("submit -o json: %v %+v", err, wf)
	}
	if out := mustRun(t, 0, "submit", "--log", hello); !regexp.MustCompile(`(?m)^hello-\w+: hello there$`).MatchString(out) {
		t.Fatalf("submit --log:\n%s", out)
	}
	objs := writeFile(t, "objs.yaml", `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: greet}
spec:
  entrypoint: main
  arguments: {parameters: [{name: who, value: world}]}
  templates:
  - name: main
    inputs: {parameters: [{name: who}]}
    container: {image: x, command: [echo, "hi {{inputs.parameters.who}}"]}
---
apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata: {name: cgreet}
spec:
  entrypoint: main
  templates:
  - {name: main, container: {image: x, command: [echo, cluster]}}
---
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: nightly}
spec:
  schedules: ["0 3 * * *"]
  workflowSpec: {workflowTemplateRef: {name: greet}}
`)
	mustRun(t, 0, "apply", "-f", objs)
	out := mustRun(t, 0, "submit", "--from", "workflowtemplate/greet", "-p", "who=argo", "--name", "from-tpl", "--log")
	if !strings.Contains(out, "from-tpl submitted") || !strings.Contains(out, ": hi argo") {
		t.Fatalf("submit --from workflowtemplate:\n%s", out)
	}
	for _, from := range []string{"clusterworkflowtemplate/cgreet", "cronwf/nightly"} {
		if out := mustRun(t, 0, "submit", "--from", from, "--wait"); !strings.Contains(out, "Succeeded") {
			t.Fatalf("submit --from %s:\n%s", from, out)
		}
	}
	if out := mustRun(t, 1, "submit", "--from", "workflowtemplate/nope"); !strings.Contains(out, "nope") {
		t.Fatalf("submit --from a missing template:\n%s", out)
	}

	// A second namespace, with one running workflow.
	mustRun(t, 0, "submit", "-n", "other", "--wait", hello)
	sleeper := writeFile(t, "sleep.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: sleeper}\nspec:\n  entrypoint: main\n  templates:\n  - {name: main, container: {image: x, command: [sleep, '30']}}\n")
	mustRun(t, 0, "submit", "-n", "other", sleeper)
	out = mustRun(t, 0, "list", "-A")
	if !strings.HasPrefix(out, "NAMESPACE") || !regexp.MustCompile(`(?m)^other\s+sleeper`).MatchString(out) || !regexp.MustCompile(`(?m)^default\s+from-tpl`).MatchString(out) {
		t.Fatalf("list -A:\n%s", out)
	}
	// Running or Pending: the step may not have started yet.
	if out := mustRun(t, 0, "list", "-n", "other", "--completed", "-o", "name"); strings.Contains(out, "sleeper") || !strings.Contains(out, "hello-") {
		t.Fatalf("list --completed:\n%s", out)
	}
	if out := mustRun(t, 0, "list", "--since", "1h", "-o", "name"); !strings.Contains(out, "from-tpl") {
		t.Fatalf("list --since 1h:\n%s", out)
	}
	if out := mustRun(t, 0, "list", "--older", "1h", "-o", "name"); strings.TrimSpace(out) != "" {
		t.Fatalf("list --older 1h:\n%s", out)
	}

	// @latest names the namespace's newest workflow everywhere.
	latest, _, _ := runSplit(t, "submit", "-o", "name", hello)
	latest = strings.TrimSpace(latest)
	if out := mustRun(t, 0, "wait", "@latest"); out != latest+" Succeeded\n" {
		t.Fatalf("wait @latest: %q, want %s", out, latest)
	}
	if out := mustRun(t, 0, "get", "@latest"); !strings.Contains(out, "Name:       "+latest) {
		t.Fatalf("get @latest:\n%s", out)
	}
	if out := mustRun(t, 0, "logs", "@latest"); !strings.Contains(out, "hello there") {
		t.Fatalf("logs @latest:\n%s", out)
	}
	mustRun(t, 0, "watch", "@latest")
	if out := mustRun(t, 0, "delete", "@latest"); out != latest+" deleted\n" {
		t.Fatalf("delete @latest: %q", out)
	}

	// delete --completed keeps what runs; delete --all does not.
	mustRun(t, 1, "delete")
	out = mustRun(t, 0, "delete", "-n", "other", "--completed")
	if !strings.Contains(out, "deleted") || strings.Contains(out, "sleeper") {
		t.Fatalf("delete --completed:\n%s", out)
	}
	if out := mustRun(t, 0, "list", "-n", "other", "-o", "name"); strings.TrimSpace(out) != "sleeper" {
		t.Fatalf("after delete --completed:\n%s", out)
	}
	if out := mustRun(t, 0, "delete", "-n", "other", "--all"); strings.TrimSpace(out) != "sleeper deleted" {
		t.Fatalf("delete --all:\n%s", out)
	}
	if out := mustRun(t, 0, "list", "-n", "other", "-o", "name"); strings.TrimSpace(out) != "" {
		t.Fatalf("after delete --all:\n%s", out)
	}
	s.stop(t)
}

// sync set refuses a ConfigMap that does not exist, and a negative limit,
// each with a message naming what is wrong; a file's ConfigMap that
// lowers a raised limit is applied with a warning naming both limits.
func TestCLISyncSetHabits(t *testing.T) {
	s := startServer(t, "--db", filepath.Join(t.TempDir(), "db"))
	t.Setenv("SEMAFLOW_SERVER", s.url)
	out := mustRun(t, 1, "sync", "set", "default/ConfigMap/nope/db", "3")
	if !strings.Contains(out, "ConfigMap default/nope does not exist: nothing changed") || !strings.Contains(out, "--create") {
		t.Fatalf("sync set on a missing ConfigMap:\n%s", out)
	}
	if out := mustRun(t, 0, "sync", "list"); strings.Contains(out, "nope") {
		t.Fatalf("a refused set made a lock:\n%s", out)
	}
	if out := mustRun(t, 1, "sync", "set", "default/ConfigMap/nope/db", "-3"); !strings.Contains(out, "limit -3 is negative") {
		t.Fatalf("sync set -3:\n%s", out)
	}
	wf := writeFile(t, "cm.yaml", `apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {db: "2", note: "1"}
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: use-}
spec:
  entrypoint: main
  synchronization: {semaphores: [{configMapKeyRef: {name: cfg, key: db}}]}
  templates:
  - {name: main, container: {image: x, command: ['true']}}
`)
	if out := mustRun(t, 0, "submit", "--wait", wf); strings.Count(out, "warning") != 1 || !strings.Contains(out, `warning: image "x" is recorded, not used`) {
		t.Fatalf("first submit warns:\n%s", out)
	}
	mustRun(t, 1, "sync", "set", "default/ConfigMap/cfg/other", "3")
	if out := mustRun(t, 0, "sync", "set", "default/ConfigMap/cfg/db", "5"); !strings.Contains(out, "limit 5") {
		t.Fatalf("sync set:\n%s", out)
	}
	out = mustRun(t, 0, "submit", wf)
	if !strings.Contains(out, "warning: ") || !strings.Contains(out, "lowers the limit of lock default/ConfigMap/cfg/db from 5 to 2") || strings.Contains(out, "note") {
		t.Fatalf("submit lowering a raised limit:\n%s", out)
	}
	if out := mustRun(t, 0, "sync", "set", "--create", "default/ConfigMap/fresh/db", "1"); !strings.Contains(out, "ConfigMap default/fresh did not exist: created it") {
		t.Fatalf("sync set --create:\n%s", out)
	}
	s.stop(t)
}

// Mistyped verbs and flags get the closest one; sync --help fits 80
// columns.
func TestCLISuggestionsAndHelpWidth(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"lsit"}, "list"},
		{[]string{"list", "--runing"}, "Did you mean --running?"},
		{[]string{"submit", "--wiat", "x"}, "Did you mean --wait?"},
		{[]string{"run", "--cont", "2", "x"}, "Did you mean --count?"},
	} {
		if out := mustRun(t, 1, c.args...); !strings.Contains(out, c.want) {
			t.Errorf("%v: want %q in:\n%s", c.args, c.want, out)
		}
	}
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("no `script` to provide a terminal")
	}
	out, err := exec.Command("script", "-qec", "stty cols 80 rows 40; "+binary+" sync --help; "+binary+" sync set --help", "/dev/null").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, l := range strings.Split(strings.ReplaceAll(string(out), "\r", ""), "\n") {
		if len([]rune(l)) > 80 {
			t.Errorf("help line over 80 columns: %q", l)
		}
	}
}
