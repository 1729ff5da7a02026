package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A withSequence whose end is the largest int64, from a parameter, fails
// its workflow with a message naming the field; the server lives on and
// runs the next workflow. The same sequence written literally is refused
// at submission, naming the field.
func TestServerSequenceAtTheEndOfInt64(t *testing.T) {
	s := startServer(t, "--db", filepath.Join(t.TempDir(), "seq.db"))
	wfs := s.url + "/api/v1/workflows/default"
	code, body := runawayDo(t, "POST", wfs, runawayWorkflow("seq-max-literal", `{"entrypoint": "main", "templates": [
	  {"name": "main", "steps": [[{"name": "many", "template": "echo", "withSequence": {"start": "0", "end": "9223372036854775807"}}]]},
	  {"name": "echo", "container": {"image": "x", "command": ["true"]}}]}`), 10*time.Second)
	if code != 400 || !strings.Contains(body, "withSequence") {
		t.Fatalf("a literal withSequence to the largest int64: %d %s; want 400 naming the field", code, body)
	}
	for _, start := range []string{"0", "-9223372036854775808"} {
		name := "seq-max-" + strings.TrimPrefix(start, "-")
		code, body = runawayDo(t, "POST", wfs, runawayWorkflow(name, `{"entrypoint": "main",
	  "arguments": {"parameters": [{"name": "n", "value": "9223372036854775807"}]}, "templates": [
	  {"name": "main", "steps": [[{"name": "many", "template": "echo", "withSequence": {"start": "`+start+`", "end": "{{workflow.parameters.n}}"}}]]},
	  {"name": "echo", "container": {"image": "x", "command": ["true"]}}]}`), 10*time.Second)
		if code != 200 {
			t.Fatalf("create %s: %d %s", name, code, body)
		}
		if msg := waitPhase(t, s.url, name, "Failed", 10*time.Second); !strings.Contains(msg, "withSequence") {
			t.Fatalf("%s failed with %q, want the field named", name, msg)
		}
	}
	code, body = runawayDo(t, "POST", wfs, runawayWorkflow("after-seq", `{"entrypoint": "main", "templates": [
	  {"name": "main", "container": {"image": "x", "command": ["true"]}}]}`), 10*time.Second)
	if code != 200 {
		t.Fatalf("create after-seq: %d %s", code, body)
	}
	waitPhase(t, s.url, "after-seq", "Succeeded", 20*time.Second)
}
