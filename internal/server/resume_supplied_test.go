package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// As Argo's `argo resume` (test/e2e/cli_test.go), resuming a workflow whose
// waiting suspend node has a supplied output with no value and no default
// is refused with Argo's message, and the node waits on.
func TestAPIResumeRefusedForUnsetSuppliedOutput(t *testing.T) {
	c := startAPI(t)
	c.submit("gate", `{"entrypoint": "main", "templates": [
	  {"name": "main", "steps": [[{"name": "approve", "template": "wait"}]]},
	  {"name": "wait", "suspend": {}, "outputs": {"parameters": [{"name": "message", "valueFrom": {"supplied": {}}}]}}]}`)
	c.waitPhase("gate", "Running", 5*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, out := c.do("GET", "/api/v1/workflows/default/gate", "")
		if strings.Contains(fmt.Sprint(out["status"]), "gate[0].approve") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no suspend node: %v", out["status"])
		}
		time.Sleep(10 * time.Millisecond)
	}
	code, out := c.do("PUT", "/api/v1/workflows/default/gate/resume", "")
	const msg = "raw output parameter 'message' has not been set and does not have a default value"
	if code == 200 || !strings.Contains(fmt.Sprint(out["message"]), msg) {
		t.Fatalf("resume: %d %v, want a refusal saying %q", code, out, msg)
	}
	time.Sleep(200 * time.Millisecond)
	if p := c.phase("gate"); p != "Running" {
		t.Fatalf("after a refused resume the workflow is %s, want Running", p)
	}
}
