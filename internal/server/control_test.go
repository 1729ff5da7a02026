package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A workflow suspended between two steps starts nothing until resumed; a
// suspend step waits for resume.
func TestAPISuspendAndResume(t *testing.T) {
	c := startAPI(t)
	c.submit("two", `{"entrypoint": "main", "templates": [
	  {"name": "main", "steps": [[{"name": "a", "template": "nap"}], [{"name": "b", "template": "nap"}]]},
	  {"name": "nap", "container": {"image": "x", "command": ["sleep", "0.5"]}}]}`)
	c.waitPhase("two", "Running", 5*time.Second)
	if code, out := c.do("PUT", "/api/v1/workflows/default/two/suspend", ""); code != 200 {
		t.Fatalf("suspend: %d %v", code, out)
	}
	time.Sleep(1500 * time.Millisecond)
	_, out := c.do("GET", "/api/v1/workflows/default/two", "")
	if fmt.Sprint(out["status"].(map[string]any)["phase"]) != "Running" || strings.Count(fmt.Sprint(out), "two[1].b") != 0 {
		t.Fatalf("suspended workflow went on: %v", out["status"])
	}
	if code, out := c.do("PUT", "/api/v1/workflows/default/two/resume", ""); code != 200 {
		t.Fatalf("resume: %d %v", code, out)
	}
	c.waitPhase("two", "Succeeded", 5*time.Second)

	c.submit("gate", `{"entrypoint": "main", "templates": [
	  {"name": "main", "steps": [[{"name": "approve", "template": "wait"}], [{"name": "go", "template": "ok"}]]},
	  {"name": "wait", "suspend": {}},
	  {"name": "ok", "container": {"image": "x", "command": ["true"]}}]}`)
	c.waitPhase("gate", "Running", 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	if p := c.phase("gate"); p != "Running" {
		t.Fatalf("a workflow at a suspend step is %s, want Running", p)
	}
	if code, _ := c.do("PUT", "/api/v1/workflows/default/gate/resume", ""); code != 200 {
		t.Fatalf("resume gate: %d", code)
	}
	c.waitPhase("gate", "Succeeded", 5*time.Second)
	if code, out := c.do("PUT", "/api/v1/workflows/default/gate/resume", ""); code != 400 || out["code"] != float64(9) {
		t.Fatalf("resuming an ended workflow: %d %v, want 400 with code 9", code, out)
	}
}

// Retry runs only what failed again; resubmit makes a new workflow from
// the same spec, found again by a label selector.
func TestAPIRetryAndResubmit(t *testing.T) {
	c := startAPI(t)
	// Outside /tmp: each step has a private /tmp.
	dir, err := os.MkdirTemp("/var/tmp", "semaflow-retry-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	count, marker := filepath.Join(dir, "count"), filepath.Join(dir, "marker")
	c.submit("flaky", fmt.Sprintf(`{"entrypoint": "main", "onExit": "bye", "templates": [
	  {"name": "main", "steps": [[{"name": "first", "template": "count"}], [{"name": "second", "template": "flaky"}]]},
	  {"name": "count", "script": {"image": "x", "command": ["sh"], "source": "echo first >> %[1]s"}},
	  {"name": "bye", "script": {"image": "x", "command": ["sh"], "source": "echo exit-{{workflow.status}} >> %[1]s"}},
	  {"name": "flaky", "script": {"image": "x", "command": ["sh"], "source": "test -f %[2]s && exit 0; touch %[2]s; exit 1"}}]}`, count, marker))
	c.waitPhase("flaky", "Failed", 10*time.Second)
	if code, out := c.do("PUT", "/api/v1/workflows/default/flaky/retry", ""); code != 200 {
		t.Fatalf("retry: %d %v", code, out)
	}
	c.waitPhase("flaky", "Succeeded", 10*time.Second)
	b, _ := os.ReadFile(count)
	if got := strings.Fields(string(b)); fmt.Sprint(got) != "[first exit-Failed exit-Succeeded]" {
		t.Fatalf("steps run: %v, want the first step once and the exit handler after each run", got)
	}
	if code, out := c.do("PUT", "/api/v1/workflows/default/flaky/retry", ""); code != 400 {
		t.Fatalf("retrying a succeeded workflow: %d %v", code, out)
	}
	// With restartSuccessful, a succeeded step runs again, and so does
	// the step after it; a selector that matches nothing is refused.
	if code, out := c.do("PUT", "/api/v1/workflows/default/flaky/retry", `{"restartSuccessful": true, "nodeFieldSelector": "displayName=nope"}`); code != 400 ||
		!strings.Contains(fmt.Sprint(out["message"]), "matches no node") {
		t.Fatalf("retry with a selector matching nothing: %d %v", code, out)
	}
	if code, out := c.do("PUT", "/api/v1/workflows/default/flaky/retry", `{"restartSuccessful": true, "nodeFieldSelector": "displayName=first"}`); code != 200 {
		t.Fatalf("retry --restart-successful: %d %v", code, out)
	}
	c.waitPhase("flaky", "Succeeded", 10*time.Second)
	b, _ = os.ReadFile(count)
	if got := strings.Fields(string(b)); fmt.Sprint(got) != "[first exit-Failed exit-Succeeded first exit-Succeeded]" {
		t.Fatalf("steps run after a restart of first: %v", got)
	}
	code, out := c.do("PUT", "/api/v1/workflows/default/flaky/resubmit", "")
	if code != 200 {
		t.Fatalf("resubmit: %d %v", code, out)
	}
	name := out["metadata"].(map[string]any)["name"].(string)
	if !strings.HasPrefix(name, "flaky-") {
		t.Fatalf("resubmitted as %q", name)
	}
	c.waitPhase(name, "Succeeded", 10*time.Second)
	for sel, want := range map[string]int{
		"listOptions.labelSelector=workflows.argoproj.io/resubmitted-from-workflow%3Dflaky":     1,
		"listOptions.labelSelector=workflows.argoproj.io/phase+in+(Succeeded,Failed)":           2,
		"listOptions.labelSelector=!workflows.argoproj.io/resubmitted-from-workflow":            1,
		"listOptions.fieldSelector=metadata.name%3Dflaky":                                       1,
		"listOptions.fieldSelector=metadata.name!%3Dflaky,status.phase%3DSucceeded":             1,
		"listOptions.labelSelector=workflows.argoproj.io/completed%3Dfalse":                     0,
		"listOptions.labelSelector=workflows.argoproj.io/phase%3DSucceeded&listOptions.limit=1": 1,
	} {
		code, out := c.do("GET", "/api/v1/workflows/default?"+sel, "")
		items, _ := out["items"].([]any)
		if code != 200 || len(items) != want {
			t.Errorf("%s: %d, %d items, want %d", sel, code, len(items), want)
		}
	}
	if code, out := c.do("GET", "/api/v1/workflows/?listOptions.fieldSelector=metadata.namespace%3Ddefault", ""); code != 200 || len(out["items"].([]any)) != 2 {
		t.Fatalf("list across namespaces: %d %v", code, out)
	}
	if code, out := c.do("GET", "/api/v1/workflows/default?listOptions.fieldSelector=spec.x%3D1", ""); code != 400 || !strings.Contains(fmt.Sprint(out["message"]), "spec.x") {
		t.Fatalf("unsupported field: %d %v", code, out)
	}
}
