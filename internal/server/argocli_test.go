package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// roundTripped is a workflow as the argo CLI posts it: after a trip
// through Argo's Go types it carries empty values a hand-written manifest
// does not (reference/argo-cli-http.md).
const roundTripped = `{"namespace":"default","workflow":{"metadata":{"name":%q,"creationTimestamp":null},
 "spec":{"templates":[{"name":"main","inputs":{},"outputs":{},"metadata":{},
   "container":{"name":"","image":"alpine","command":["sh","-c",%q],"resources":{}}}],
   "entrypoint":"main","arguments":{},
   "synchronization":{"semaphores":[{"configMapKeyRef":{"name":"limits","key":"k"}}]}},
 "status":{"startedAt":null,"finishedAt":null}}}`

func hello(name string) string { return "echo hello from " + name + "; sleep 0.3" }

// bearer adds the token the argo CLI always sends.
type bearer struct{ next http.RoundTripper }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer anything")
	return b.next.RoundTrip(r)
}

// argoDo sends a request as the argo CLI does: it always carries a bearer
// token, which a server without tokens accepts and ignores.
func argoDo(t *testing.T, c *apiClient, method, path, body string) (int, []byte) {
	t.Helper()
	code, _, b := send(t, &http.Client{Transport: bearer{http.DefaultTransport}}, method, c.base+path, body, nil)
	return code, b
}

// The requests the real argo CLI sends over HTTP, replayed as it sends
// them: lint, submit, list with its fields parameter, wait (a watch with a
// field selector and resourceVersion=0), logs of the main container, get,
// stop and delete. Two workflows share a limit-1 semaphore, so the second
// is seen waiting on it before it runs.
func TestArgoCLIRequests(t *testing.T) {
	c := startAPI(t)
	if code, out := c.do("POST", "/api/v1/configmaps/default", limits(1)); code != 200 {
		t.Fatalf("apply ConfigMap: %d %v", code, out)
	}
	if code, b := argoDo(t, c, "POST", "/api/v1/workflows/default/lint", fmt.Sprintf(roundTripped, "first", hello("first"))); code != 200 {
		t.Fatalf("argo lint: %d %s", code, b)
	}
	for _, name := range []string{"first", "second"} {
		if code, b := argoDo(t, c, "POST", "/api/v1/workflows/default", fmt.Sprintf(roundTripped, name, hello(name))); code != 200 {
			t.Fatalf("argo submit %s: %d %s", name, code, b)
		}
	}

	code, b := argoDo(t, c, "GET", "/api/v1/workflows/default?fields=metadata,items.metadata,items.spec,items.status.phase,"+
		"items.status.message,items.status.finishedAt,items.status.startedAt,items.status.estimatedDuration,items.status.progress", "")
	var list struct {
		Items []struct {
			Metadata struct{ Name string } `json:"metadata"`
		} `json:"items"`
	}
	if code != 200 || json.Unmarshal(b, &list) != nil || len(list.Items) != 2 {
		t.Fatalf("argo list: %d %s", code, b)
	}

	argo := &http.Client{Transport: bearer{http.DefaultTransport}}
	events := openStream(t, t.Context(), argo,
		c.base+"/api/v1/workflow-events/default?listOptions.fieldSelector=metadata.name%3Dsecond&listOptions.resourceVersion=0")
	sawWaiting := false
	watchUntilSucceeded(t, events, 20*time.Second, func(l streamLine, _ string) {
		var wf struct {
			Metadata struct{ Name string }
			Status   struct{ Message string }
		}
		_ = json.Unmarshal(l.Result.Object, &wf)
		if wf.Metadata.Name != "second" {
			t.Fatalf("the field selector let through %q", wf.Metadata.Name)
		}
		sawWaiting = sawWaiting || strings.Contains(wf.Status.Message, "Waiting for default/ConfigMap/limits/k")
	})
	if !sawWaiting {
		t.Error("the second workflow was never seen waiting for the semaphore")
	}

	code, b = argoDo(t, c, "GET", "/api/v1/workflows/default/second/log?logOptions.container=main", "")
	if code != 200 || !strings.Contains(string(b), `{"result":{"content":"hello from second"`) || !strings.Contains(string(b), `"podName":"`) {
		t.Fatalf("argo logs: %d %s", code, b)
	}
	if code, b := argoDo(t, c, "GET", "/api/v1/workflows/default/first", ""); code != 200 || !strings.Contains(string(b), `"phase":"Succeeded"`) {
		t.Fatalf("argo get: %d %s", code, b)
	}
	if code, b := argoDo(t, c, "POST", "/api/v1/workflows/default", fmt.Sprintf(roundTripped, "third", "sleep 30")); code != 200 {
		t.Fatalf("argo submit third: %d %s", code, b)
	}
	c.waitPhase("third", "Running", 10*time.Second)
	if code, b := argoDo(t, c, "PUT", "/api/v1/workflows/default/third/stop", `{"name":"third","namespace":"default"}`); code != 200 {
		t.Fatalf("argo stop: %d %s", code, b)
	}
	c.waitPhase("third", "Failed", 10*time.Second)
	for _, name := range []string{"first", "second", "third"} {
		if code, b := argoDo(t, c, "DELETE", "/api/v1/workflows/default/"+name, ""); code != 200 {
			t.Fatalf("argo delete %s: %d %s", name, code, b)
		}
	}
	if code, b := argoDo(t, c, "GET", "/api/v1/workflows/default", ""); code != 200 || !strings.Contains(string(b), `"items":[]`) {
		t.Fatalf("list after delete: %d %s", code, b)
	}
}
