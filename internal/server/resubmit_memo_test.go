package server_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// stamp prints a value unique to its run; check fails while fail=true.
const stampThenCheck = `{"entrypoint": "main", "arguments": {"parameters": [{"name": "fail", "value": "true"}]},
  "templates": [
    {"name": "main", "steps": [[{"name": "stamp", "template": "stamp"}],
      [{"name": "check", "template": "check", "arguments": {"parameters": [{"name": "v", "value": "{{steps.stamp.outputs.result}}"}]}}]]},
    {"name": "stamp", "container": {"image": "x", "command": ["sh", "-c", "date +%s%N"]}},
    {"name": "check", "inputs": {"parameters": [{"name": "v"}]},
     "container": {"image": "x", "command": ["sh", "-c", "echo {{inputs.parameters.v}}; test {{workflow.parameters.fail}} = false"]}}]}`

// `argo resubmit --memoized` of a Failed workflow makes a new one that
// reuses the old one's succeeded steps (stamp does not run again: its
// output is the old one) and runs the rest; a workflow that is not
// Failed or Errored is refused, as Argo refuses it.
func TestAPIResubmitMemoized(t *testing.T) {
	c := startAPI(t)
	c.submit("stamped", stampThenCheck)
	c.waitPhase("stamped", "Failed", 10*time.Second)
	code, b := argoDo(t, c, "PUT", "/api/v1/workflows/default/stamped/resubmit", `{"memoized":true,"parameters":["fail=false"]}`)
	var wf struct {
		Metadata struct {
			Name   string            `json:"name"`
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	if code != 200 || json.Unmarshal(b, &wf) != nil || !strings.HasPrefix(wf.Metadata.Name, "stamped-") {
		t.Fatalf("resubmit --memoized: %d %s", code, b)
	}
	c.waitPhase(wf.Metadata.Name, "Succeeded", 10*time.Second)
	stamp := func(name string) (result, checked string) {
		t.Helper()
		_, out := c.do("GET", "/api/v1/workflows/default/"+name, "")
		b, _ := json.Marshal(out)
		var w struct {
			Status struct {
				Nodes map[string]struct {
					ID, Name, DisplayName, Phase string
					Outputs                      *struct{ Result string }
					Inputs                       *struct{ Parameters []struct{ Value string } }
				}
			}
		}
		if err := json.Unmarshal(b, &w); err != nil {
			t.Fatal(err)
		}
		for id, n := range w.Status.Nodes {
			if id != n.ID || !strings.HasPrefix(n.Name, name) {
				t.Fatalf("%s: node %s is %s %s", name, id, n.ID, n.Name)
			}
			switch n.DisplayName {
			case "stamp":
				if n.Outputs != nil {
					result = n.Outputs.Result
				}
			case "check":
				if n.Inputs != nil && len(n.Inputs.Parameters) == 1 {
					checked = n.Inputs.Parameters[0].Value
				}
			}
		}
		return result, checked
	}
	oldStamp, _ := stamp("stamped")
	newStamp, checked := stamp(wf.Metadata.Name)
	if oldStamp == "" || newStamp != oldStamp || checked != oldStamp {
		t.Fatalf("stamp ran again: old %q, new %q, check read %q", oldStamp, newStamp, checked)
	}
	code, b = argoDo(t, c, "PUT", "/api/v1/workflows/default/"+wf.Metadata.Name+"/resubmit", `{"memoized":true}`)
	if code != 400 || !strings.Contains(string(b), "Failed/Error") {
		t.Fatalf("resubmit --memoized of a Succeeded workflow: %d %s", code, b)
	}
}
