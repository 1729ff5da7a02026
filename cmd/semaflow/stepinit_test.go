package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A server run as root starts each step run as the step user through
// semaflow-init, installed beside semaflow, and says nothing about it.
// Without it steps start through `semaflow exec --init`, as confined, and
// the server says at start that they are slower and why.
func TestServerStepInitBesideSemaflowOrNot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a step user needs root")
	}
	alone := filepath.Join(t.TempDir(), "semaflow")
	b, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(alone, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Dir(alone), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(binary), "semaflow-init")); err != nil {
		t.Fatalf("the tests' semaflow has no semaflow-init beside it: %v", err)
	}
	// argosay is served by semaflow itself, bound into the step's
	// namespace by the init; the other step shows its user and PID 1.
	const wf = `{"workflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "init-check"},
	  "spec": {"entrypoint": "main", "templates": [
	    {"name": "main", "steps": [[{"name": "say", "template": "say"}, {"name": "who", "template": "who"}]]},
	    {"name": "say", "container": {"image": "argoproj/argosay:v2", "args": ["echo", "said-through-argosay"]}},
	    {"name": "who", "container": {"image": "x", "command": ["sh", "-c", "echo uid=$(id -u) pid=$$"]}}]}}}`
	for _, c := range []struct {
		name, bin string
		note      bool
	}{{"beside", binary, false}, {"alone", alone, true}} {
		t.Run(c.name, func(t *testing.T) {
			stderr := &lockedWriter{}
			s := startServerOf(t, c.bin, "", stderr, "--db", filepath.Join(t.TempDir(), "db"))
			if code, body := apiCall(t, "POST", s.url+"/api/v1/workflows/default", "", wf); code != 200 {
				t.Fatalf("create: %d %s", code, body)
			}
			if p := awaitPhase(t, s.url, "", "default", "init-check"); p != "Succeeded" {
				t.Fatalf("workflow %s\n%s", p, stderr)
			}
			_, log := apiCall(t, "GET", s.url+"/api/v1/workflows/default/init-check/log", "", "")
			for _, want := range []string{"said-through-argosay", "uid=65534 pid=1"} {
				if !strings.Contains(log, want) {
					t.Errorf("the log lacks %q:\n%s", want, log)
				}
			}
			s.stop(t)
			note := strings.Contains(stderr.String(), "semaflow exec --init") && strings.Contains(stderr.String(), "semaflow-init")
			if note != c.note {
				t.Errorf("note about the step init %v, want %v; stderr:\n%s", note, c.note, stderr)
			}
		})
	}
}
