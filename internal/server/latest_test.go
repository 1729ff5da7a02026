package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// `argo get @latest` (and logs, wait, stop, delete ... @latest) sends the
// alias as the name; the server takes the namespace's newest workflow,
// as Argo's does. In a namespace with none, every such call is a 404
// saying so, and nothing changes.
func TestAPILatestAlias(t *testing.T) {
	c := startAPI(t)
	const quick = `{"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "x", "command": ["sh", "-c", "echo hi from $0", "WF"]}}]}`
	c.submit("older", strings.Replace(quick, "WF", "older", 1))
	c.waitPhase("older", "Succeeded", 10*time.Second)
	c.submit("newer", strings.Replace(quick, "WF", "newer", 1))
	c.waitPhase("newer", "Succeeded", 10*time.Second)
	// Another namespace's newer workflow is not this namespace's latest.
	other := `{"workflow": {"metadata": {"name": "elsewhere", "namespace": "other"}, "spec": ` + quick + `}}`
	if code, out := c.do("POST", "/api/v1/workflows/other", other); code != 200 {
		t.Fatalf("submit in other: %d %v", code, out)
	}

	code, out := argoDo(t, c, "GET", "/api/v1/workflows/default/@latest", "")
	var wf struct {
		Metadata struct{ Name string } `json:"metadata"`
	}
	if code != 200 || json.Unmarshal(out, &wf) != nil || wf.Metadata.Name != "newer" {
		t.Fatalf("get @latest: %d %s, want newer", code, out)
	}
	code, out = argoDo(t, c, "GET", "/api/v1/workflows/default/@latest/log?logOptions.container=main", "")
	if code != 200 || !strings.Contains(string(out), "hi from newer") {
		t.Fatalf("logs @latest: %d %s", code, out)
	}
	argo := &http.Client{Transport: bearer{http.DefaultTransport}}
	events := openStream(t, t.Context(), argo,
		c.base+"/api/v1/workflow-events/default?listOptions.fieldSelector=metadata.name%3D@latest&listOptions.resourceVersion=0")
	watchUntilSucceeded(t, events, 10*time.Second, func(l streamLine, _ string) {
		if !strings.Contains(string(l.Result.Object), `"name":"newer"`) {
			t.Fatalf("wait @latest saw %s", l.Result.Object)
		}
	})

	// A namespace with no workflows: a clear 404 from every call.
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/api/v1/workflows/empty/@latest", ""},
		{"GET", "/api/v1/workflows/empty/@latest/log?logOptions.container=main", ""},
		{"PUT", "/api/v1/workflows/empty/@latest/stop", `{"name":"@latest","namespace":"empty"}`},
		{"PUT", "/api/v1/workflows/empty/@latest/retry", `{"name":"@latest","namespace":"empty"}`},
		{"DELETE", "/api/v1/workflows/empty/@latest", ""},
		{"GET", "/api/v1/workflow-events/empty?listOptions.fieldSelector=metadata.name%3D@latest", ""},
	} {
		code, out := argoDo(t, c, tc.method, tc.path, tc.body)
		if code != 404 || !strings.Contains(string(out), "no workflows found in namespace empty") {
			t.Errorf("%s %s: %d %s, want 404 saying there are no workflows", tc.method, tc.path, code, out)
		}
	}

	if code, out := argoDo(t, c, "DELETE", "/api/v1/workflows/default/@latest", ""); code != 200 {
		t.Fatalf("delete @latest: %d %s", code, out)
	}
	if code, _ := argoDo(t, c, "GET", "/api/v1/workflows/default/newer", ""); code != 404 {
		t.Fatalf("delete @latest left newer: %d", code)
	}
	if p := c.phase("older"); p != "Succeeded" {
		t.Fatalf("older is %s", p)
	}
	code, out = argoDo(t, c, "GET", "/api/v1/workflows/default/@latest", "")
	if code != 200 || !strings.Contains(string(out), `"name":"older"`) {
		t.Fatalf("get @latest after the delete: %d %s, want older", code, out)
	}
}
