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

	"github.com/semaflow/semaflow/internal/server"
)

// tokenAPI is the API behind RequireToken, as `semaflow server` runs it
// with --token-file.
type tokenAPI struct {
	t    *testing.T
	base string
}

func startTokenAPI(t *testing.T, tokens []server.Token) *tokenAPI {
	t.Helper()
	l, err := Start(context.Background(), Options{Self: binary})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.RequireToken(tokens, server.New(l.Engine).Handler()))
	t.Cleanup(func() {
		ts.Close()
		l.Engine.StopAll(true, "test over")
		_ = l.Close()
	})
	return &tokenAPI{t: t, base: ts.URL}
}

// do answers the status and the raw body (checked for leaked values).
func (c *tokenAPI) do(token, method, path, body string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func message(body string) string {
	var e struct{ Message string }
	_ = json.Unmarshal([]byte(body), &e)
	return e.Message
}

const (
	adminToken = "admin-token-0123456789"
	teamAToken = "team-a-token-0123456789"
	secret     = "hunter2-SECRET"
)

func reachAPI(t *testing.T) *tokenAPI {
	c := startTokenAPI(t, []server.Token{{Value: adminToken}, {Value: teamAToken, Namespaces: []string{"team-a"}}})
	for _, cm := range []string{
		fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata: {name: creds, namespace: team-b}
data: {db-password: %q, limit: "2"}
`, secret),
		`apiVersion: v1
kind: ConfigMap
metadata: {name: limits, namespace: team-a}
data: {k: "1"}
`,
	} {
		ns := "team-b"
		if strings.Contains(cm, "team-a") {
			ns = "team-a"
		}
		if code, body := c.do(adminToken, "POST", "/api/v1/configmaps/"+ns, cm); code != 200 {
			t.Fatalf("apply ConfigMap: %d %s", code, body)
		}
	}
	return c
}

func wfBody(name, spec string) string {
	return fmt.Sprintf(`{"workflow": {"metadata": {"name": %q, "namespace": "team-a"}, "spec": %s}}`, name, spec)
}

// A token scoped to team-a cannot use team-b's locks or ConfigMaps, and
// no answer quotes a ConfigMap value.
func TestScopedTokenCannotReachOtherNamespacesLocks(t *testing.T) {
	c := reachAPI(t)
	leaf := `"templates": [{"name": "main", "container": {"image": "x", "command": ["true"]}}]`
	denied := []struct{ name, path, body, lock string }{
		{"lint naming team-b's ConfigMap", "/api/v1/workflows/team-a/lint", wfBody("l1", `{"entrypoint": "main",
		  "synchronization": {"semaphores": [{"namespace": "team-b", "configMapKeyRef": {"name": "creds", "key": "db-password"}}]}, `+leaf+`}`),
			"team-b/ConfigMap/creds/db-password"},
		{"workflow holding team-b's mutex", "/api/v1/workflows/team-a", wfBody("w1", `{"entrypoint": "main",
		  "synchronization": {"mutexes": [{"name": "deploy", "namespace": "team-b"}]}, `+leaf+`}`),
			"team-b/Mutex/deploy"},
		{"template-level semaphore of team-b", "/api/v1/workflows/team-a", wfBody("w2", `{"entrypoint": "main",
		  "templates": [{"name": "main", "synchronization": {"semaphores": [{"namespace": "team-b", "configMapKeyRef": {"name": "creds", "key": "limit"}}]},
		  "container": {"image": "x", "command": ["true"]}}]}`),
			"team-b/ConfigMap/creds/limit"},
		{"templated namespace", "/api/v1/workflows/team-a", wfBody("w3", `{"entrypoint": "main",
		  "arguments": {"parameters": [{"name": "ns", "value": "team-b"}]},
		  "synchronization": {"mutexes": [{"name": "deploy", "namespace": "{{workflow.parameters.ns}}"}]}, `+leaf+`}`),
			"mutexes[0].namespace"},
		{"workflow template", "/api/v1/workflow-templates/team-a", `{"template": {"metadata": {"name": "t1", "namespace": "team-a"}, "spec": {"entrypoint": "main",
		  "synchronization": {"mutexes": [{"name": "deploy", "namespace": "team-b"}]}, ` + leaf + `}}}`,
			"team-b/Mutex/deploy"},
		{"cron workflow", "/api/v1/cron-workflows/team-a", `{"cronWorkflow": {"metadata": {"name": "c1", "namespace": "team-a"}, "spec": {"schedules": ["0 0 * * *"],
		  "workflowSpec": {"entrypoint": "main", "synchronization": {"mutexes": [{"name": "deploy", "namespace": "team-b"}]}, ` + leaf + `}}}}`,
			"team-b/Mutex/deploy"},
	}
	for _, d := range denied {
		code, body := c.do(teamAToken, "POST", d.path, d.body)
		if code != 403 || !strings.Contains(message(body), d.lock) || strings.Contains(body, secret) {
			t.Errorf("%s: %d %s, want 403 naming %s", d.name, code, body, d.lock)
		}
	}
	if code, body := c.do(teamAToken, "GET", "/api/v1/workflows/team-a/w1", ""); code != 404 {
		t.Errorf("refused workflow was stored: %d %s", code, body)
	}

	// A template applied by the admin that names team-b's lock is refused
	// to team-a's workflows that use it.
	tpl := `{"template": {"metadata": {"name": "cross", "namespace": "team-a"}, "spec": {"entrypoint": "main",
	  "synchronization": {"mutexes": [{"name": "deploy", "namespace": "team-b"}]}, ` + leaf + `}}}`
	if code, body := c.do(adminToken, "POST", "/api/v1/workflow-templates/team-a", tpl); code != 200 {
		t.Fatalf("admin template: %d %s", code, body)
	}
	if code, body := c.do(teamAToken, "POST", "/api/v1/workflows/team-a", wfBody("by-ref", `{"workflowTemplateRef": {"name": "cross"}}`)); code != 403 ||
		!strings.Contains(message(body), "team-b/Mutex/deploy") {
		t.Errorf("workflow using a template with team-b's lock: %d %s", code, body)
	}

	// Its own namespace's locks are fine.
	own := wfBody("own", `{"entrypoint": "main", "synchronization": {"semaphores": [{"configMapKeyRef": {"name": "limits", "key": "k"}}],
	  "mutexes": [{"name": "m", "namespace": "team-a"}, {"name": "m-{{workflow.name}}"}]}, `+leaf+`}`)
	if code, body := c.do(teamAToken, "POST", "/api/v1/workflows/team-a", own); code != 200 {
		t.Errorf("own locks: %d %s", code, body)
	}
}

// Even to a token that may read it, a bad limit is described, not quoted.
func TestLimitErrorsNeverQuoteTheValue(t *testing.T) {
	c := reachAPI(t)
	body := wfBody("l2", `{"entrypoint": "main",
	  "synchronization": {"semaphores": [{"namespace": "team-b", "configMapKeyRef": {"name": "creds", "key": "db-password"}}]},
	  "templates": [{"name": "main", "container": {"image": "x", "command": ["true"]}}]}`)
	code, out := c.do(adminToken, "POST", "/api/v1/workflows/team-a/lint", body)
	if code != 400 || strings.Contains(out, secret) || !strings.Contains(message(out), "is not a non-negative integer") {
		t.Fatalf("lint of a non-integer limit: %d %s", code, out)
	}
	code, out = c.do(adminToken, "GET", "/api/v1/sync/team-b/db-password?cmName=creds", "")
	if code == 200 || strings.Contains(out, secret) || !strings.Contains(message(out), "is not a non-negative integer") {
		t.Fatalf("sync get of a non-integer limit: %d %s", code, out)
	}
}
