package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func listItems(t *testing.T, c *apiClient, path string) []map[string]any {
	t.Helper()
	code, out := c.do("GET", path, "")
	if code != 200 {
		t.Fatalf("GET %s: %d %v", path, code, out)
	}
	var items []map[string]any
	for _, it := range out["items"].([]any) {
		items = append(items, it.(map[string]any))
	}
	return items
}

// Templates are created once (409 after), used by later workflows,
// listed, and gone once deleted.
func TestAPITemplates(t *testing.T) {
	c := startAPI(t)
	tpl := `{"template": {"metadata": {"name": "greet"}, "spec": {"entrypoint": "main", "templates": [
	  {"name": "main", "container": {"image": "x", "command": ["true"]}}]}}}`
	if code, out := c.do("POST", "/api/v1/workflow-templates/default", tpl); code != 200 {
		t.Fatalf("create template: %d %v", code, out)
	}
	if code, _ := c.do("POST", "/api/v1/workflow-templates/default", tpl); code != 409 {
		t.Fatalf("second create: %d, want 409", code)
	}
	ctpl := strings.Replace(tpl, `"greet"`, `"shared"`, 1)
	if code, out := c.do("POST", "/api/v1/cluster-workflow-templates", ctpl); code != 200 {
		t.Fatalf("create cluster template: %d %v", code, out)
	}
	c.submit("by-ref", `{"workflowTemplateRef": {"name": "greet"}}`)
	c.submit("by-cluster-ref", `{"workflowTemplateRef": {"name": "shared", "clusterScope": true}}`)
	c.waitPhase("by-ref", "Succeeded", 10*time.Second)
	c.waitPhase("by-cluster-ref", "Succeeded", 10*time.Second)
	if n := len(listItems(t, c, "/api/v1/workflow-templates/default")); n != 1 {
		t.Fatalf("%d templates listed, want 1", n)
	}
	bad := `{"template": {"metadata": {"name": "bad"}, "spec": {"entrypoint": "nope", "templates": [{"name": "main", "container": {"image": "x"}}]}}}`
	if code, out := c.do("POST", "/api/v1/workflow-templates/default/lint", bad); code != 400 || !strings.Contains(fmt.Sprint(out["message"]), "nope") {
		t.Fatalf("lint of a bad template: %d %v", code, out)
	}
	if code, _ := c.do("DELETE", "/api/v1/workflow-templates/default/greet", ""); code != 200 {
		t.Fatalf("delete template: %d", code)
	}
	if code, _ := c.do("GET", "/api/v1/workflow-templates/default/greet", ""); code != 404 {
		t.Fatalf("deleted template still served: %d", code)
	}
	code, out := c.do("POST", "/api/v1/workflows/default", `{"workflow": {"metadata": {"name": "orphan"}, "spec": {"workflowTemplateRef": {"name": "greet"}}}}`)
	if code != 400 || !strings.Contains(fmt.Sprint(out["message"]), "greet") {
		t.Fatalf("workflow referring to a deleted template: %d %v", code, out)
	}
}

// A CronWorkflow runs on its schedule; Forbid never overlaps runs; the
// history limit prunes; suspend stops new runs.
func TestAPICronWorkflow(t *testing.T) {
	c := startAPI(t)
	cron := `{"cronWorkflow": {"metadata": {"name": "tick"}, "spec": {"schedules": ["@every 1s"], "concurrencyPolicy": "Forbid",
	  "successfulJobsHistoryLimit": 2, "workflowMetadata": {"labels": {"team": "a"}},
	  "workflowSpec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "x", "command": ["sleep", "1.5"]}}]}}}}`
	if code, out := c.do("POST", "/api/v1/cron-workflows/default", cron); code != 200 {
		t.Fatalf("create cron: %d %v", code, out)
	}
	swap := `{"cronWorkflow": {"metadata": {"name": "swap"}, "spec": {"schedules": ["@every 1s"], "concurrencyPolicy": "Replace",
	  "failedJobsHistoryLimit": 20,
	  "workflowSpec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "x", "command": ["sleep", "60"]}}]}}}}`
	if code, out := c.do("POST", "/api/v1/cron-workflows/default", swap); code != 200 {
		t.Fatalf("create cron: %d %v", code, out)
	}
	seen := map[string]bool{}
	deadline := time.Now().Add(9 * time.Second)
	for time.Now().Before(deadline) {
		running := 0
		for _, wf := range listItems(t, c, "/api/v1/workflows/default?listOptions.labelSelector=workflows.argoproj.io/cron-workflow%3Dtick,team%3Da") {
			m := wf["metadata"].(map[string]any)
			seen[m["name"].(string)] = true
			if st, _ := wf["status"].(map[string]any); st["phase"] == "Running" || st["phase"] == "Pending" {
				running++
			}
		}
		if running > 1 {
			t.Fatalf("%d runs at once under Forbid", running)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(seen) < 3 {
		t.Fatalf("only %d runs in 9 s of a 1 s schedule with 1.5 s runs", len(seen))
	}
	for name := range seen {
		if !strings.HasPrefix(name, "tick-") {
			t.Fatalf("run named %q, want tick-<unix time>", name)
		}
	}
	if code, _ := c.do("PUT", "/api/v1/cron-workflows/default/tick/suspend", ""); code != 200 {
		t.Fatalf("suspend: %d", code)
	}
	time.Sleep(2 * time.Second) // let the last run end
	kept := len(listItems(t, c, "/api/v1/workflows/default?listOptions.labelSelector=workflows.argoproj.io/cron-workflow%3Dtick"))
	if kept > 3 {
		t.Fatalf("%d runs kept with successfulJobsHistoryLimit 2", kept)
	}
	time.Sleep(2 * time.Second)
	if again := len(listItems(t, c, "/api/v1/workflows/default?listOptions.labelSelector=workflows.argoproj.io/cron-workflow%3Dtick")); again > kept {
		t.Fatalf("suspended cron workflow made new runs: %d then %d", kept, again)
	}
	code, out := c.do("GET", "/api/v1/cron-workflows/default/tick", "")
	st, _ := out["status"].(map[string]any)
	if code != 200 || st["lastScheduledTime"] == nil || out["spec"].(map[string]any)["suspend"] != true {
		t.Fatalf("cron status: %d %v", code, out)
	}
	// Every run ended, and each is counted once, pruned ones included (one
	// more may have started between the last look and the suspend).
	if n, _ := st["succeeded"].(float64); int(n) < len(seen) || int(n) > len(seen)+1 || st["active"] != nil {
		t.Fatalf("cron status counts %v succeeded and active %v after %d runs", st["succeeded"], st["active"], len(seen))
	}
	if code, _ := c.do("DELETE", "/api/v1/cron-workflows/default/tick", ""); code != 200 {
		t.Fatalf("delete cron: %d", code)
	}
	// Replace: each run terminates the one before.
	phases := map[string]int{}
	for _, wf := range listItems(t, c, "/api/v1/workflows/default?listOptions.labelSelector=workflows.argoproj.io/cron-workflow%3Dswap") {
		st, _ := wf["status"].(map[string]any)
		phases[fmt.Sprint(st["phase"])]++
	}
	if phases["Failed"] < 3 || phases["Running"]+phases["Pending"] > 1 {
		t.Fatalf("Replace policy after 13 s of a 1 s schedule: %v", phases)
	}
}

// Limits set through Argo's sync API apply at once, and the status shows
// holders and waiters.
func TestAPISyncLimits(t *testing.T) {
	c := startAPI(t)
	if code, out := c.do("POST", "/api/v1/sync/default", `{"type": "CONFIGMAP", "cmName": "limits", "key": "k", "limit": 1}`); code != 200 {
		t.Fatalf("create limit: %d %v", code, out)
	}
	if code, _ := c.do("POST", "/api/v1/sync/default", `{"type": "CONFIGMAP", "cmName": "limits", "key": "k", "limit": 1}`); code != 409 {
		t.Fatalf("second create: %d, want 409", code)
	}
	c.submit("one", lockedSpec)
	time.Sleep(20 * time.Millisecond)
	c.submit("two", lockedSpec)
	c.waitPhase("one", "Running", 5*time.Second)
	items := listItems(t, c, "/api/v1/sync-status?lock=default/ConfigMap/limits/k")
	if len(items) != 1 || len(items[0]["holders"].(map[string]any)) != 1 || fmt.Sprint(items[0]["waiters"]) != "[default/two]" {
		t.Fatalf("sync status: %v", items)
	}
	if code, out := c.do("PUT", "/api/v1/sync/default/k", `{"type": "CONFIGMAP", "cmName": "limits", "limit": 2}`); code != 200 {
		t.Fatalf("update limit: %d %v", code, out)
	}
	c.waitPhase("two", "Running", 3*time.Second)
	if code, out := c.do("GET", "/api/v1/sync/default/k?cmName=limits", ""); code != 200 || out["limit"] != float64(2) {
		t.Fatalf("get limit: %d %v", code, out)
	}
	if code, _ := c.do("PUT", "/api/v1/sync/default/nokey", `{"type": "CONFIGMAP", "cmName": "limits", "limit": 2}`); code != 404 {
		t.Fatalf("update of a missing key: %d, want 404", code)
	}
	if code, out := c.do("POST", "/api/v1/sync/default", `{"type": "DATABASE", "key": "db", "limit": 3}`); code != 200 {
		t.Fatalf("create database limit: %d %v", code, out)
	}
	if code, out := c.do("GET", "/api/v1/sync/default/db?type=DATABASE", ""); code != 200 || out["limit"] != float64(3) {
		t.Fatalf("get database limit: %d %v", code, out)
	}
	if code, _ := c.do("GET", "/api/v1/sync/default/k", ""); code != 400 {
		t.Fatalf("CONFIGMAP limit without cmName: %d, want 400", code)
	}
	// In use, the limit cannot be deleted; once its holders end, it can.
	if code, _ := c.do("DELETE", "/api/v1/sync/default/k?cmName=limits", ""); code != 400 {
		t.Fatalf("delete of a limit in use: %d, want 400", code)
	}
	for _, n := range []string{"one", "two"} {
		if code, out := c.do("PUT", "/api/v1/workflows/default/"+n+"/terminate", ""); code != 200 {
			t.Fatalf("terminate %s: %d %v", n, code, out)
		}
		c.waitPhase(n, "Failed", 5*time.Second)
	}
	if code, _ := c.do("DELETE", "/api/v1/sync/default/k?cmName=limits", ""); code != 200 {
		t.Fatalf("delete limit: %d", code)
	}
	if code, _ := c.do("GET", "/api/v1/sync/default/k?cmName=limits", ""); code != 404 {
		t.Fatalf("deleted limit still served: %d", code)
	}
}
