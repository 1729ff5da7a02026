package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// gateSpec waits in approve (a suspend node with two supplied outputs,
// one with a default) and then echoes what was set.
const gateSpec = `{"entrypoint": "main", "templates": [
  {"name": "main", "steps": [[{"name": "approve", "template": "wait"}],
     [{"name": "show", "template": "echo", "arguments": {"parameters": [
        {"name": "m", "value": "{{steps.approve.outputs.parameters.message}}"},
        {"name": "c", "value": "{{steps.approve.outputs.parameters.color}}"}]}}]]},
  {"name": "wait", "suspend": {}, "outputs": {"parameters": [
     {"name": "message", "valueFrom": {"supplied": {}}},
     {"name": "color", "valueFrom": {"supplied": {}, "default": "blue"}}]}},
  {"name": "echo", "inputs": {"parameters": [{"name": "m"}, {"name": "c"}]},
   "container": {"image": "x", "command": ["echo", "got {{inputs.parameters.m}} {{inputs.parameters.c}}"]}}]}`

// waitSuspendNode waits until name has a running suspend node.
func waitSuspendNode(t *testing.T, c *apiClient, name string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, out := c.do("GET", "/api/v1/workflows/default/"+name, "")
		if s := fmt.Sprint(out["status"]); strings.Contains(s, "approve") && strings.Contains(s, "Suspend") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no suspend node in %s", name)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// `argo node set` (PUT .../set) sets a waiting suspend node's supplied
// outputs, message and phase; refusals change nothing.
func TestAPINodeSet(t *testing.T) {
	c := startAPI(t)
	c.submit("gate", gateSpec)
	waitSuspendNode(t, c, "gate")
	for _, tc := range []struct{ body, want string }{
		{`{"nodeFieldSelector":"displayName=approve","outputParameters":"{\"nope\":\"x\"}"}`, "node is not expecting output parameter 'nope'"},
		{`{"nodeFieldSelector":"displayName=other","message":"m"}`, "no suspend nodes matching nodeFieldSelector: displayName=other"},
		{`{"nodeFieldSelector":"displayName=approve","phase":"Running"}`, "Running is an invalid phase to set to"},
		{`{"nodeFieldSelector":"displayName=approve","outputParameters":"not json"}`, "unable to parse output parameter set request"},
		{`{"nodeFieldSelector":"bogus=1","message":"m"}`, "bogus"},
		{`{"nodeFieldSelector":"displayName=approve","phase":"Succeeded"}`, "raw output parameter 'message' has not been set"},
	} {
		code, out := argoDo(t, c, "PUT", "/api/v1/workflows/default/gate/set", tc.body)
		if code != 400 || !strings.Contains(string(out), tc.want) {
			t.Errorf("set %s: %d %s, want 400 saying %q", tc.body, code, out, tc.want)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if p := c.phase("gate"); p != "Running" {
		t.Fatalf("after refused sets gate is %s", p)
	}
	code, out := argoDo(t, c, "PUT", "/api/v1/workflows/default/gate/set",
		`{"name":"gate","namespace":"default","nodeFieldSelector":"displayName=approve","outputParameters":"{\"message\":\"yes\"}","message":"approved by test"}`)
	if code != 200 {
		t.Fatalf("set outputs: %d %s", code, out)
	}
	// The value is kept on the waiting node; a resume then fills the
	// other from its default.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, wf := c.do("GET", "/api/v1/workflows/default/gate", "")
		s := fmt.Sprint(wf["status"])
		if strings.Contains(s, "value:yes") && strings.Contains(s, "approved by test") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the set values never showed: %s", s)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code, out := argoDo(t, c, "PUT", "/api/v1/workflows/default/gate/set",
		`{"nodeFieldSelector":"displayName=approve","phase":"Succeeded"}`); code != 200 {
		t.Fatalf("set phase: %d %s", code, out)
	}
	c.waitPhase("gate", "Succeeded", 10*time.Second)
	if code, b := argoDo(t, c, "GET", "/api/v1/workflows/default/gate/log?logOptions.container=main", ""); code != 200 || !strings.Contains(string(b), "got yes blue") {
		t.Fatalf("logs: %d %s", code, b)
	}

	// Failed ends the node, and so the workflow.
	c.submit("gate2", gateSpec)
	waitSuspendNode(t, c, "gate2")
	if code, out := argoDo(t, c, "PUT", "/api/v1/workflows/default/gate2/set", `{"nodeFieldSelector":"displayName=approve","phase":"Failed","message":"rejected"}`); code != 200 {
		t.Fatalf("set Failed: %d %s", code, out)
	}
	c.waitPhase("gate2", "Failed", 10*time.Second)
	if code, out := argoDo(t, c, "PUT", "/api/v1/workflows/default/gate2/set", `{"nodeFieldSelector":"displayName=approve","message":"late"}`); code != 400 {
		t.Fatalf("set on an ended workflow: %d %s", code, out)
	}
}
