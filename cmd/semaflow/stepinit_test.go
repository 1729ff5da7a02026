package main

import (
	"fmt"
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
	// Copies of the tests' binaries in directories of this test's own.
	install := func(names ...string) string {
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			b, err := os.ReadFile(filepath.Join(filepath.Dir(binary), name))
			if err != nil {
				t.Fatalf("the tests' %s: %v", name, err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return filepath.Join(dir, "semaflow")
	}
	beside, alone := install("semaflow", "semaflow-init"), install("semaflow")
	// argosay is served by semaflow itself, bound into the step's
	// namespace by the init; the other step shows its user and PID 1.
	workflow := func(name string) string {
		return fmt.Sprintf(`{"workflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": %q},
	  "spec": {"entrypoint": "main", "templates": [
	    {"name": "main", "steps": [[{"name": "say", "template": "say"}, {"name": "who", "template": "who"}]]},
	    {"name": "say", "container": {"image": "argoproj/argosay:v2", "args": ["echo", "said-through-argosay"]}},
	    {"name": "who", "container": {"image": "x", "command": ["sh", "-c", "echo uid=$(id -u) pid=$$"]}}]}}}`, name)
	}
	for _, c := range []struct {
		name, bin string
		note      bool
	}{{"beside", beside, false}, {"alone", alone, true}} {
		t.Run(c.name, func(t *testing.T) {
			stderr := &lockedWriter{}
			s := startServerOf(t, c.bin, "", stderr, "--db", filepath.Join(t.TempDir(), "db"))
			if code, body := apiCall(t, "POST", s.url+"/api/v1/workflows/default", "", workflow("init-check")); code != 200 {
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
			if c.note {
				s.stop(t)
			} else {
				// Proof that the supervisor starts steps through it: once
				// it cannot be run, steps cannot start.
				if err := os.Chmod(filepath.Join(filepath.Dir(c.bin), "semaflow-init"), 0o644); err != nil {
					t.Fatal(err)
				}
				if code, body := apiCall(t, "POST", s.url+"/api/v1/workflows/default", "", workflow("init-gone")); code != 200 {
					t.Fatalf("create: %d %s", code, body)
				}
				if p := awaitPhase(t, s.url, "", "default", "init-gone"); p == "Succeeded" {
					t.Fatalf("steps ran without the semaflow-init the supervisor had chosen")
				}
				_, body := apiCall(t, "GET", s.url+"/api/v1/workflows/default/init-gone", "", "")
				if !strings.Contains(body, "cannot start the step init") || !strings.Contains(body, "semaflow-init") {
					t.Errorf("the failed start does not say the step init could not start:\n%s", body)
				}
				s.stop(t)
			}
			note := strings.Contains(stderr.String(), "semaflow exec --init") && strings.Contains(stderr.String(), "semaflow-init")
			if note != c.note {
				t.Errorf("note about the step init %v, want %v; stderr:\n%s", note, c.note, stderr)
			}
		})
	}
}
