package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// backfillBody is what `argo cron backfill` posts: a workflow labelled
// with the cron workflow's name whose steps template fans out over times
// to a resource template creating manifest once per time. extra is
// added to the request's top level (a dry run's options).
func backfillBody(t *testing.T, cron, manifest string, times []string, extra string) string {
	t.Helper()
	tj, _ := json.Marshal(times)
	body := map[string]any{
		"namespace": "default",
		"workflow": map[string]any{
			"kind": "Workflow", "apiVersion": "argoproj.io/v1alpha1",
			"metadata": map[string]any{"generateName": "backfill-wf-", "labels": map[string]string{"workflows.argoproj.io/backfill": cron}},
			"spec": map[string]any{
				"entrypoint": "main",
				"templates": []any{
					map[string]any{"name": "main", "steps": [][]any{{map[string]any{
						"name": "create-workflow", "template": "create-workflow",
						"arguments": map[string]any{"parameters": []any{map[string]any{"name": "backfillscheduletime", "value": "{{item}}"}}},
						"withParam": string(tj),
					}}}},
					map[string]any{"name": "create-workflow",
						"inputs":   map[string]any{"parameters": []any{map[string]any{"name": "backfillscheduletime"}}},
						"resource": map[string]any{"action": "create", "manifest": manifest, "successCondition": "status.phase == Succeeded"}},
				},
			},
		},
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if extra != "" {
		s = strings.TrimSuffix(s, "}") + "," + extra + "}"
	}
	return s
}

// bfManifest is a cron workflow's workflow as the CLI writes it into the
// resource template; meta is the metadata lines (name or generateName).
func bfManifest(meta, tail string) string {
	return "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n" + meta +
		"  labels:\n    workflows.argoproj.io/cron-workflow: tick\n" +
		"spec:\n  arguments:\n    parameters:\n    - name: cronScheduleTime\n      value: none\n" +
		"    - name: cronScheduleTime\n      value: '{{inputs.parameters.backfillscheduletime}}'\n" +
		"  entrypoint: main\n  templates:\n  - name: main\n    container:\n      image: alpine\n" +
		"      command: [echo, 'tick {{workflow.parameters.cronScheduleTime}}']\n" + tail
}

func bfTimes(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = time.Date(2026, 1, 1, 0, i, 0, 0, time.UTC).String()
	}
	return out
}

func backfilled(t *testing.T, c *apiClient, cron string) []map[string]any {
	t.Helper()
	return listItems(t, c, "/api/v1/workflows/default?listOptions.labelSelector=workflows.argoproj.io%2Fbackfill%3D"+cron)
}

// A backfill whose manifest times its schedule times pass the cap on the
// work of one request is refused at once, naming the limit, and creates
// nothing (it used to parse the manifest once per time).
func TestBackfillWorkIsCapped(t *testing.T) {
	c := startAPI(t)
	// A 2 MB manifest (a YAML comment) times 40 times: 80 MB of manifests.
	big := "# " + strings.Repeat("x", 2<<20) + "\n"
	body := backfillBody(t, "tick", bfManifest("  generateName: tick-backfill-a-\n", big), bfTimes(40), "")
	start := time.Now()
	code, out := c.do("POST", "/api/v1/workflows/default", body)
	msg, _ := out["message"].(string)
	if code != 400 || !strings.Contains(msg, "MiB") || !strings.Contains(msg, "40 schedule times") {
		t.Fatalf("a backfill of 40 x 2 MB: %d %.300s, want 400 naming the limit", code, msg)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the refusal took %v", d)
	}
	if n := len(backfilled(t, c, "tick")); n != 0 {
		t.Fatalf("a refused backfill created %d workflows", n)
	}
}

// A backfill creates all its workflows or none: a fixed name sent for
// several times collides with itself, one taken by an existing workflow
// collides with that: refused before anything is created.
func TestBackfillIsAllOrNothing(t *testing.T) {
	c := startAPI(t)
	body := backfillBody(t, "tick", bfManifest("  name: fixed-bf\n", ""), bfTimes(3), "")
	code, out := c.do("POST", "/api/v1/workflows/default", body)
	if code == 200 {
		t.Fatalf("a backfill of one name three times: 200 %v", out)
	}
	if code, _ := c.do("GET", "/api/v1/workflows/default/fixed-bf", ""); code != 404 {
		t.Fatalf("the refused backfill created fixed-bf (GET: %d)", code)
	}
	c.submit("taken", `{"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "x", "command": ["true"]}}]}`)
	body = backfillBody(t, "tock", bfManifest("  name: taken\n", ""), bfTimes(1), "")
	if code, out := c.do("POST", "/api/v1/workflows/default", body); code != 409 {
		t.Fatalf("a backfill of an existing name: %d %v, want 409", code, out)
	}
	if n := len(backfilled(t, c, "tick")) + len(backfilled(t, c, "tock")); n != 0 {
		t.Fatalf("refused backfills created %d workflows", n)
	}
}

// Only the CLI's backfill is a backfill: a plain workflow carrying the
// label is submitted as it is.
func TestBackfillLabelAloneIsASubmit(t *testing.T) {
	c := startAPI(t)
	wf := `{"workflow": {"metadata": {"name": "plain", "labels": {"workflows.argoproj.io/backfill": "cr"}},
	  "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "x", "command": ["true"]}}]}}}`
	if code, out := c.do("POST", "/api/v1/workflows/default", wf); code != 200 {
		t.Fatalf("a workflow labelled backfill: %d %v", code, out)
	}
	c.waitPhase("plain", "Succeeded", 10*time.Second)
}

// A dry run of a backfill (argo submit --dry-run / --server-dry-run of
// the same request) checks it and creates nothing.
func TestBackfillDryRunCreatesNothing(t *testing.T) {
	c := startAPI(t)
	for _, extra := range []string{`"createOptions":{"dryRun":["All"]}`, `"serverDryRun":true`} {
		body := backfillBody(t, "tick", bfManifest("  generateName: tick-backfill-d-\n", ""), bfTimes(3), extra)
		code, out := c.do("POST", "/api/v1/workflows/default", body)
		md, _ := out["metadata"].(map[string]any)
		if name, _ := md["name"].(string); code != 200 || !strings.HasPrefix(name, "tick-backfill-d-") {
			t.Fatalf("backfill dry run %s: %d %v", extra, code, out)
		}
	}
	if n := len(backfilled(t, c, "tick")); n != 0 {
		t.Fatalf("backfill dry runs created %d workflows", n)
	}
}

// The backfill still creates one workflow per time, each with its time.
func TestBackfillCreatesEachTime(t *testing.T) {
	c := startAPI(t)
	times := bfTimes(3)
	body := backfillBody(t, "tick", bfManifest("  generateName: tick-backfill-e-\n", ""), times, "")
	if code, out := c.do("POST", "/api/v1/workflows/default", body); code != 200 {
		t.Fatalf("backfill: %d %v", code, out)
	}
	items := backfilled(t, c, "tick")
	got := map[string]bool{}
	for _, it := range items {
		spec := it["spec"].(map[string]any)
		params := spec["arguments"].(map[string]any)["parameters"].([]any)
		if len(params) != 1 {
			t.Fatalf("%d parameters, want 1: %v", len(params), params)
		}
		got[fmt.Sprint(params[0].(map[string]any)["value"])] = true
	}
	for _, at := range times {
		if !got[at] {
			t.Fatalf("no backfill workflow for %s: %v", at, got)
		}
	}
}
