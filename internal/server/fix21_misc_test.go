package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

const trueSpec = `{"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "x", "command": ["true"]}}]}`

// An update of a template or cron workflow that does not exist is
// NotFound, as Argo answers, not a create: the CLI's update is a GET then
// a PUT, and a delete between them must not bring the object back.
func TestUpdateOfMissingIsNotFound(t *testing.T) {
	c := startAPI(t)
	tmpl := `{"template": {"metadata": {"name": "brand-new"}, "spec": ` + trueSpec + `}}`
	cron := `{"cronWorkflow": {"metadata": {"name": "brand-new"}, "spec": {"schedules": ["0 0 * * *"], "workflowSpec": ` + trueSpec + `}}}`
	for _, r := range []struct{ path, body, get string }{
		{"/api/v1/workflow-templates/default/", tmpl, "/api/v1/workflow-templates/default/brand-new"},
		{"/api/v1/workflow-templates/default/brand-new", tmpl, "/api/v1/workflow-templates/default/brand-new"},
		{"/api/v1/cluster-workflow-templates/brand-new", tmpl, "/api/v1/cluster-workflow-templates/brand-new"},
		{"/api/v1/cron-workflows/default/", cron, "/api/v1/cron-workflows/default/brand-new"},
		{"/api/v1/cron-workflows/default/brand-new", cron, "/api/v1/cron-workflows/default/brand-new"},
	} {
		code, out := c.do("PUT", r.path, r.body)
		if code != 404 || out["code"] != float64(5) || !strings.Contains(out["message"].(string), "brand-new") {
			t.Fatalf("PUT %s of a missing object: %d %v, want 404 code 5", r.path, code, out)
		}
		if code, _ := c.do("GET", r.get, ""); code != 404 {
			t.Fatalf("PUT %s created it (GET: %d)", r.path, code)
		}
	}
}

// retry -p and resubmit -p check parameter names as submit does.
func TestRetryResubmitParameterNamesChecked(t *testing.T) {
	c := startAPI(t)
	c.submit("flaky", flakySpec)
	c.waitPhase("flaky", "Failed", 10*time.Second)
	for _, p := range []string{"=v", "x{{y}}=1", "a b=2"} {
		for _, verb := range []string{"retry", "resubmit"} {
			body := `{"name":"flaky","namespace":"default","parameters":["` + p + `"]}`
			if code, out := c.do("PUT", "/api/v1/workflows/default/flaky/"+verb, body); code != 400 || !strings.Contains(out["message"].(string), "parameter") {
				t.Fatalf("%s -p %q: %d %v, want 400", verb, p, code, out)
			}
		}
	}
	if n := len(listItems(t, c, "/api/v1/workflows/default")); n != 1 || c.phase("flaky") != "Failed" {
		t.Fatalf("refused retries and resubmits changed something: %d workflows, flaky %s", n, c.phase("flaky"))
	}
}

// Sync limits are validated as the rest of the API validates the same
// names; a key the CLI could not address afterwards is refused.
func TestSyncLimitNamesValidated(t *testing.T) {
	c := startAPI(t)
	for _, r := range []struct{ ns, body, want string }{
		{"default", `{"cmName":"x/y","key":"k","limit":1}`, "ConfigMap name"},
		{"default", `{"cmName":"UPPER","key":"k","limit":1}`, "ConfigMap name"},
		{"default", `{"cmName":"../../etc","key":"k","limit":1}`, "ConfigMap name"},
		{"default", `{"cmName":"cm","key":"a b","limit":1}`, "key"},
		{"default", `{"type":1,"key":"z\u0000\n1","limit":1}`, "key"},
		{"default", `{"type":1,"key":"a/b","limit":1}`, "'/'"},
		{"Bad_NS", `{"cmName":"cm","key":"k","limit":1}`, "namespace"},
		{"a%20b", `{"cmName":"cm","key":"k","limit":1}`, "namespace"},
		{strings.Repeat("n", 100), `{"cmName":"cm","key":"k","limit":1}`, "namespace"},
	} {
		code, out := c.do("POST", "/api/v1/sync/"+r.ns, r.body)
		msg, _ := out["message"].(string)
		if code != 400 || !strings.Contains(msg, r.want) {
			t.Fatalf("sync create in %s of %s: %d %v, want 400 naming the %s", r.ns, r.body, code, out, r.want)
		}
	}
}

// A server dry run of a name already taken answers AlreadyExists, as the
// Kubernetes API server's does.
func TestDryRunOfTakenNameIsAlreadyExists(t *testing.T) {
	c := startAPI(t)
	c.submit("taken", trueSpec)
	if code, out := c.do("POST", "/api/v1/workflow-templates/default", `{"template": {"metadata": {"name": "wt"}, "spec": `+trueSpec+`}}`); code != 200 {
		t.Fatalf("create template: %d %v", code, out)
	}
	// Argo answers a client dry run (submitOptions.dryRun) without asking
	// Kubernetes; only the server dry run meets the taken name.
	code, out := c.do("POST", "/api/v1/workflows/default/submit",
		`{"namespace":"default","resourceKind":"workflowtemplate","resourceName":"wt","submitOptions":{"name":"taken","serverDryRun":true}}`)
	if code != 409 || out["code"] != float64(6) {
		t.Fatalf("submit --from --name taken --server-dry-run: %d %v, want 409 AlreadyExists", code, out)
	}
	for _, opts := range []string{`"serverDryRun":true`, `"createOptions":{"dryRun":["All"]}`} {
		code, out := c.do("POST", "/api/v1/workflows/default", `{"workflow": {"metadata": {"name": "taken"}, "spec": `+trueSpec+`}, `+opts+`}`)
		if code != 409 || out["code"] != float64(6) {
			t.Fatalf("submit dry run %s of a taken name: %d %v, want 409 AlreadyExists", opts, code, out)
		}
	}
}

// Annotations are checked as Kubernetes checks them (keys, total size),
// on create and in submit options; the annotations and labels the
// server sets win over the caller's.
func TestAnnotationsValidated(t *testing.T) {
	c := startAPI(t)
	for _, key := range []string{" ", "k/k/k", "-bad"} {
		wf := `{"workflow": {"metadata": {"generateName": "a-", "annotations": {"` + key + `": "v"}}, "spec": ` + trueSpec + `}}`
		if code, out := c.do("POST", "/api/v1/workflows/default", wf); code != 400 || !strings.Contains(out["message"].(string), "annotation") {
			t.Fatalf("create with annotation key %q: %d %v, want 400", key, code, out)
		}
	}
	huge := strings.Repeat("v", 300<<10)
	wf := `{"workflow": {"metadata": {"generateName": "a-", "annotations": {"big": "` + huge + `"}}, "spec": ` + trueSpec + `}}`
	if code, out := c.do("POST", "/api/v1/workflows/default", wf); code != 400 || !strings.Contains(out["message"].(string), "annotation") {
		t.Fatalf("create with 300 KiB of annotations: %d %.200v, want 400", code, out)
	}
	cron := `{"cronWorkflow": {"metadata": {"name": "cw"}, "spec": {"schedules": ["0 0 1 1 *"], "workflowSpec": ` + trueSpec + `}}}`
	if code, out := c.do("POST", "/api/v1/cron-workflows/default", cron); code != 200 {
		t.Fatalf("create cron: %d %v", code, out)
	}
	code, out := c.do("POST", "/api/v1/workflows/default/submit",
		`{"namespace":"default","resourceKind":"cronwf","resourceName":"cw","submitOptions":{"annotations":"k/k/k=v"}}`)
	if code != 400 || !strings.Contains(out["message"].(string), "annotation") {
		t.Fatalf("submit --from with annotation key k/k/k: %d %v, want 400", code, out)
	}
	code, out = c.do("POST", "/api/v1/workflows/default/submit",
		`{"namespace":"default","resourceKind":"cronwf","resourceName":"cw","submitOptions":{"serverDryRun":true,`+
			`"annotations":"workflows.argoproj.io/scheduled-time=garbage","labels":"workflows.argoproj.io/cron-workflow=other"}}`)
	md, _ := out["metadata"].(map[string]any)
	notes, _ := md["annotations"].(map[string]any)
	labels, _ := md["labels"].(map[string]any)
	if code != 200 || notes["workflows.argoproj.io/scheduled-time"] == "garbage" || labels["workflows.argoproj.io/cron-workflow"] != "cw" {
		t.Fatalf("submit --from cronwf overriding the server's annotation and label: %d %v", code, out)
	}
}

// The 413 and 415 answers carry their message in "error" too, as every
// other error does.
func TestTooLargeAndWrongTypeBodiesNameTheError(t *testing.T) {
	c := startAPI(t)
	code, out := c.do("POST", "/api/v1/workflows/default", `{"workflow": {"metadata": {"name": "`+strings.Repeat("x", 5<<20)+`"}}}`)
	if e, _ := out["error"].(string); code != 413 || e == "" {
		t.Fatalf("a 5 MB body: %d %v, want 413 with an error", code, out)
	}
	code2, _, b := send(t, http.DefaultClient, "POST", c.base+"/api/v1/workflows/default", "{}", map[string]string{"Content-Type": "text/plain"})
	if code2 != 415 || !strings.Contains(string(b), `"error":"a write needs`) {
		t.Fatalf("a text/plain write: %d %s, want 415 with an error", code2, b)
	}
}

// Deleting a database semaphore says why it cannot be, not that the
// workflow is in the wrong state.
func TestDeleteDatabaseSemaphoreSaysWhy(t *testing.T) {
	c := startAPI(t)
	if code, out := c.do("POST", "/api/v1/sync/default", `{"type":1,"key":"db0","limit":1}`); code != 200 {
		t.Fatalf("sync create: %d %v", code, out)
	}
	code, out := c.do("DELETE", "/api/v1/sync/default/db0?type=1", "")
	msg, _ := out["message"].(string)
	if code != 400 || !strings.Contains(msg, "set its limit to 0") || strings.Contains(msg, "workflow's current state") {
		t.Fatalf("delete of a database semaphore: %d %q", code, msg)
	}
}
