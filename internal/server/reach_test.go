package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/engine"
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
	_, ts := serve(t, func(e *engine.Engine) http.Handler { return server.RequireToken(tokens, apiHandler(e)) })
	return &tokenAPI{t: t, base: ts.URL}
}

// do answers the status and the raw body (checked for leaked values).
func (c *tokenAPI) do(token, method, path, body string) (int, string) {
	c.t.Helper()
	code, _, b := send(c.t, http.DefaultClient, method, c.base+path, body,
		map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"})
	return code, string(b)
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

// waitPhase polls a workflow, as the admin, until it reaches phase.
func (c *tokenAPI) waitPhase(ns, name, phase string) {
	c.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, body := c.do(adminToken, "GET", "/api/v1/workflows/"+ns+"/"+name, "")
		var wf struct {
			Status struct{ Phase string } `json:"status"`
		}
		_ = json.Unmarshal([]byte(body), &wf)
		if code == 200 && wf.Status.Phase == phase {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s/%s: %d, phase %q, want %s", ns, name, code, wf.Status.Phase, phase)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A scoped token cannot reach another namespace's lock by re-running or
// continuing a workflow the admin made (retry, resubmit -p, resume, node
// set, a cron workflow's resume or submit --from): every path that makes
// a workflow take locks runs the check submit runs.
func TestScopedTokenCannotReachOtherNamespacesLocksByRerun(t *testing.T) {
	c := reachAPI(t)
	admin := func(path, body string) {
		t.Helper()
		if code, out := c.do(adminToken, "POST", path, body); code != 200 {
			t.Fatalf("admin POST %s: %d %s", path, code, out)
		}
	}
	refused := func(what, method, path, body, lock string) {
		t.Helper()
		code, out := c.do(teamAToken, method, path, body)
		if code != 403 || !strings.Contains(message(out), lock) {
			t.Errorf("%s by the team-a token: %d %s, want 403 naming %s", what, code, out, lock)
		}
	}
	// Fails, holding team-b's mutex in its only step.
	admin("/api/v1/workflows/team-a", wfBody("uses-b", `{"entrypoint": "main",
	  "templates": [{"name": "main", "synchronization": {"mutexes": [{"name": "deploy", "namespace": "team-b"}]},
	  "container": {"image": "x", "command": ["false"]}}]}`))
	// Its lock's namespace is a parameter, team-a as submitted.
	admin("/api/v1/workflows/team-a", wfBody("templated", `{"entrypoint": "main",
	  "arguments": {"parameters": [{"name": "ns", "value": "team-a"}]},
	  "synchronization": {"mutexes": [{"name": "deploy", "namespace": "{{workflow.parameters.ns}}"}]},
	  "templates": [{"name": "main", "container": {"image": "x", "command": ["false"]}}]}`))
	// Waits for approval, then takes team-b's mutex.
	admin("/api/v1/workflows/team-a", wfBody("gated", `{"entrypoint": "main",
	  "templates": [{"name": "main", "steps": [[{"name": "approve", "template": "wait"}], [{"name": "work", "template": "work"}]]},
	  {"name": "wait", "suspend": {}},
	  {"name": "work", "synchronization": {"mutexes": [{"name": "deploy", "namespace": "team-b"}]}, "container": {"image": "x", "command": ["true"]}}]}`))
	admin("/api/v1/cron-workflows/team-a", `{"cronWorkflow": {"metadata": {"name": "nightly", "namespace": "team-a"}, "spec": {"schedules": ["0 0 * * *"], "suspend": true,
	  "workflowSpec": {"entrypoint": "main", "synchronization": {"mutexes": [{"name": "deploy", "namespace": "team-b"}]},
	  "templates": [{"name": "main", "container": {"image": "x", "command": ["true"]}}]}}}}`)
	c.waitPhase("team-a", "uses-b", "Failed")
	c.waitPhase("team-a", "templated", "Failed")
	c.waitPhase("team-a", "gated", "Running")

	refused("retry", "PUT", "/api/v1/workflows/team-a/uses-b/retry", `{}`, "team-b/Mutex/deploy")
	refused("resubmit", "PUT", "/api/v1/workflows/team-a/uses-b/resubmit", `{}`, "team-b/Mutex/deploy")
	refused("resubmit -p", "PUT", "/api/v1/workflows/team-a/templated/resubmit", `{"parameters": ["ns=team-b"]}`, "mutexes[0].namespace")
	refused("retry -p", "PUT", "/api/v1/workflows/team-a/templated/retry", `{"parameters": ["ns=team-b"]}`, "mutexes[0].namespace")
	refused("node set", "PUT", "/api/v1/workflows/team-a/gated/set", `{"nodeFieldSelector": "displayName=approve", "phase": "Succeeded"}`, "team-b/Mutex/deploy")
	refused("resume", "PUT", "/api/v1/workflows/team-a/gated/resume", `{}`, "team-b/Mutex/deploy")
	refused("cron resume", "PUT", "/api/v1/cron-workflows/team-a/nightly/resume", `{}`, "team-b/Mutex/deploy")
	refused("submit --from", "POST", "/api/v1/workflows/team-a/submit", `{"resourceKind": "cronworkflow", "resourceName": "nightly"}`, "team-b/Mutex/deploy")

	c.waitPhase("team-a", "uses-b", "Failed")
	c.waitPhase("team-a", "templated", "Failed")
	c.waitPhase("team-a", "gated", "Running")
	if code, out := c.do(adminToken, "GET", "/api/v1/workflows/team-a", ""); code != 200 || strings.Count(out, `"name":"`) < 3 || strings.Contains(out, `"uses-b-`) || strings.Contains(out, `"templated-`) {
		t.Errorf("a refused resubmit created a workflow: %d %s", code, out)
	}
	// Stopping is always allowed; so is re-running a workflow whose locks
	// are all the token's.
	if code, out := c.do(teamAToken, "PUT", "/api/v1/workflows/team-a/gated/terminate", `{}`); code != 200 {
		t.Errorf("terminate by the team-a token: %d %s", code, out)
	}
	if code, out := c.do(teamAToken, "PUT", "/api/v1/workflows/team-a/templated/resubmit", `{}`); code != 403 {
		t.Errorf("resubmit of a templated lock namespace: %d %s, want 403 as submit answers", code, out)
	}
	admin("/api/v1/workflows/team-a", wfBody("own", `{"entrypoint": "main",
	  "templates": [{"name": "main", "synchronization": {"mutexes": [{"name": "m"}]}, "container": {"image": "x", "command": ["false"]}}]}`))
	c.waitPhase("team-a", "own", "Failed")
	if code, out := c.do(teamAToken, "PUT", "/api/v1/workflows/team-a/own/retry", `{}`); code != 200 {
		t.Errorf("retry of a workflow using its own namespace's lock: %d %s", code, out)
	}
}
