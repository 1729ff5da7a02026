package server_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const flakySpec = `{"entrypoint": "main", "arguments": {"parameters": [{"name": "fail", "value": "true"}]},
  "templates": [{"name": "main", "container": {"image": "x", "command": ["sh", "-c", "echo fail={{workflow.parameters.fail}}; test {{workflow.parameters.fail}} = false"]}}]}`

// `argo retry -p` and `argo resubmit -p` replace workflow parameters, as
// Argo's do (resubmit_memo_test.go has `resubmit --memoized`).
func TestAPIRetryAndResubmitParameters(t *testing.T) {
	c := startAPI(t)
	c.submit("flaky", flakySpec)
	c.waitPhase("flaky", "Failed", 10*time.Second)
	if code, b := argoDo(t, c, "PUT", "/api/v1/workflows/default/flaky/retry", `{"name":"flaky","namespace":"default","parameters":["noequals"]}`); code != 400 || !strings.Contains(string(b), "NAME=VALUE") {
		t.Fatalf("retry with a bad parameter: %d %s", code, b)
	}
	if p := c.phase("flaky"); p != "Failed" {
		t.Fatalf("a refused retry left flaky %s", p)
	}
	if code, b := argoDo(t, c, "PUT", "/api/v1/workflows/default/flaky/retry", `{"name":"flaky","namespace":"default","parameters":["fail=false"]}`); code != 200 {
		t.Fatalf("retry -p: %d %s", code, b)
	}
	c.waitPhase("flaky", "Succeeded", 10*time.Second)

	c.submit("again", flakySpec)
	c.waitPhase("again", "Failed", 10*time.Second)
	code, b := argoDo(t, c, "PUT", "/api/v1/workflows/default/again/resubmit", `{"name":"again","namespace":"default","parameters":["fail=false"]}`)
	var wf struct {
		Metadata struct {
			Name   string            `json:"name"`
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	if code != 200 || json.Unmarshal(b, &wf) != nil || !strings.HasPrefix(wf.Metadata.Name, "again-") {
		t.Fatalf("resubmit -p: %d %s", code, b)
	}
	c.waitPhase(wf.Metadata.Name, "Succeeded", 10*time.Second)
	if n := len(listItems(t, c, "/api/v1/workflows/default")); n != 3 {
		t.Fatalf("%d workflows, want 3", n)
	}
}
