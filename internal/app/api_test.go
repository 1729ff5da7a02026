package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/server"
)

type apiClient struct {
	t     *testing.T
	base  string
	local *App
}

func startAPI(t *testing.T) *apiClient {
	t.Helper()
	l, err := Start(context.Background(), Options{Self: binary})
	if err != nil {
		t.Fatal(err)
	}
	l.Engine.StartCron()
	ts := httptest.NewServer(server.New(l.Engine).Handler())
	t.Cleanup(func() {
		ts.Close()
		l.Engine.StopAll(true, "test over")
		_ = l.Close()
	})
	return &apiClient{t: t, base: ts.URL, local: l}
}

func (c *apiClient) do(method, path, body string) (int, map[string]any) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

func (c *apiClient) submit(name, yamlSpec string) {
	c.t.Helper()
	wf := fmt.Sprintf(`{"workflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": %q}, "spec": %s}}`, name, yamlSpec)
	if code, out := c.do("POST", "/api/v1/workflows/default", wf); code != 200 {
		c.t.Fatalf("create %s: %d %v", name, code, out)
	}
}

func (c *apiClient) phase(name string) string {
	c.t.Helper()
	code, out := c.do("GET", "/api/v1/workflows/default/"+name, "")
	if code != 200 {
		c.t.Fatalf("get %s: %d %v", name, code, out)
	}
	st, _ := out["status"].(map[string]any)
	p, _ := st["phase"].(string)
	return p
}

// waitPhase polls until name reaches phase, within d.
func (c *apiClient) waitPhase(name, phase string, d time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if c.phase(name) == phase {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.t.Fatalf("%s is %s after %v, want %s", name, c.phase(name), d, phase)
}

const lockedSpec = `{"entrypoint": "main", "synchronization": {"semaphores": [{"configMapKeyRef": {"name": "limits", "key": "k"}}]},
  "templates": [{"name": "main", "container": {"image": "x", "command": ["sleep", "30"]}}]}`

func limits(n int) string {
	return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: limits}\ndata: {k: %q}\n", fmt.Sprint(n))
}

func TestAPIErrors(t *testing.T) {
	c := startAPI(t)
	if code, out := c.do("GET", "/api/v1/workflows/default/nope", ""); code != 404 || out["code"] != float64(5) {
		t.Fatalf("missing workflow: %d %v", code, out)
	}
	bad := `{"workflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "bad"},
	  "spec": {"entrypoint": "main", "templates": [{"name": "main", "contianer": {"image": "x"}}]}}}`
	if code, out := c.do("POST", "/api/v1/workflows/default", bad); code != 400 || !strings.Contains(fmt.Sprint(out["message"]), "contianer") {
		t.Fatalf("invalid workflow: %d %v", code, out)
	}
	ok := `{"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "x", "command": ["true"]}}]}`
	c.submit("twice", ok)
	wf := `{"workflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "twice"}, "spec": ` + ok + `}}`
	if code, out := c.do("POST", "/api/v1/workflows/default", wf); code != 409 || out["code"] != float64(6) {
		t.Fatalf("name clash: %d %v", code, out)
	}
	if code, _ := c.do("POST", "/api/v1/workflows/default", strings.Repeat("x", server.MaxBody+10)); code != 413 {
		t.Fatalf("oversized body: %d", code)
	}
	if code, out := c.do("GET", "/api/v1/version", ""); code != 200 || out["version"] == "" {
		t.Fatalf("version: %d %v", code, out)
	}
}

// Deleting a holder hands its permit on at once; deleting a waiter takes
// it out of the queue; a limit increase starts waiters at once.
func TestAPIDeleteAndLimitChange(t *testing.T) {
	c := startAPI(t)
	if code, out := c.do("POST", "/api/v1/configmaps/default", limits(1)); code != 200 {
		t.Fatalf("apply ConfigMap: %d %v", code, out)
	}
	for _, n := range []string{"a", "b", "c", "d"} {
		c.submit(n, lockedSpec)
		time.Sleep(20 * time.Millisecond) // creation order a, b, c, d
	}
	c.waitPhase("a", "Running", 5*time.Second)
	for _, n := range []string{"b", "c", "d"} {
		if p := c.phase(n); p != "Pending" {
			t.Fatalf("%s is %s while a holds the only permit", n, p)
		}
	}
	// Delete a waiter, then the holder: the permit goes to c, not b.
	if code, out := c.do("DELETE", "/api/v1/workflows/default/b", ""); code != 200 {
		t.Fatalf("delete b: %d %v", code, out)
	}
	if code, _ := c.do("GET", "/api/v1/workflows/default/b", ""); code != 404 {
		t.Fatalf("b still there after delete: %d", code)
	}
	start := time.Now()
	if code, out := c.do("DELETE", "/api/v1/workflows/default/a", ""); code != 200 {
		t.Fatalf("delete a: %d %v", code, out)
	}
	c.waitPhase("c", "Running", 2*time.Second)
	t.Logf("c running %v after a's delete returned", time.Since(start))
	if p := c.phase("d"); p != "Pending" {
		t.Fatalf("d is %s, want Pending behind c", p)
	}
	// Raise the limit: d starts at once, without anyone releasing.
	if code, out := c.do("PUT", "/api/v1/configmaps/default/limits", limits(2)); code != 200 {
		t.Fatalf("limit change: %d %v", code, out)
	}
	c.waitPhase("d", "Running", 2*time.Second)
	// Terminate both: nothing is left holding.
	for _, n := range []string{"c", "d"} {
		if code, out := c.do("PUT", "/api/v1/workflows/default/"+n+"/terminate", ""); code != 200 {
			t.Fatalf("terminate %s: %d %v", n, code, out)
		}
		c.waitPhase(n, "Failed", 5*time.Second)
	}
	c.submit("e", strings.Replace(lockedSpec, `"sleep", "30"`, `"true"`, 1))
	c.submit("f", strings.Replace(lockedSpec, `"sleep", "30"`, `"true"`, 1))
	c.waitPhase("e", "Succeeded", 5*time.Second)
	c.waitPhase("f", "Succeeded", 5*time.Second)
	code, out := c.do("GET", "/api/v1/workflows/default?listOptions.limit=2", "")
	items, _ := out["items"].([]any)
	meta, _ := out["metadata"].(map[string]any)
	if code != 200 || len(items) != 2 || meta["continue"] == "" || meta["continue"] == nil {
		t.Fatalf("list page: %d, %d items, metadata %v", code, len(items), meta)
	}
}
