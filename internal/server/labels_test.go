package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"
)

const (
	phaseLabel     = "workflows.argoproj.io/phase"
	completedLabel = "workflows.argoproj.io/completed"
)

// submitLabelled submits a one-step workflow running command with labels.
func (c *apiClient) submitLabelled(name, command string, labels map[string]string) {
	c.t.Helper()
	ls := ""
	for k, v := range labels {
		if ls != "" {
			ls += ","
		}
		ls += fmt.Sprintf("%q: %q", k, v)
	}
	wf := fmt.Sprintf(`{"workflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": %q, "labels": {%s}},
	  "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "x", "command": ["sh", "-c", %q]}}]}}}`,
		name, ls, command)
	if code, out := c.do("POST", "/api/v1/workflows/default", wf); code != 200 {
		c.t.Fatalf("create %s: %d %v", name, code, out)
	}
}

func labelsOf(wf map[string]any) map[string]any {
	md, _ := wf["metadata"].(map[string]any)
	l, _ := md["labels"].(map[string]any)
	return l
}

// listed returns the labels of each workflow a list with selector gives.
func (c *apiClient) listed(selector string) map[string]map[string]any {
	c.t.Helper()
	path := "/api/v1/workflows/default"
	if selector != "" {
		path += "?listOptions.labelSelector=" + url.QueryEscape(selector)
	}
	code, out := c.do("GET", path, "")
	if code != 200 {
		c.t.Fatalf("list %q: %d %v", selector, code, out)
	}
	got := map[string]map[string]any{}
	items, _ := out["items"].([]any)
	for _, it := range items {
		wf, _ := it.(map[string]any)
		md, _ := wf["metadata"].(map[string]any)
		got[fmt.Sprint(md["name"])] = labelsOf(wf)
	}
	return got
}

// The phase and completed labels are the engine's, as Argo's controller
// sets them: a user's values are replaced by the real ones in what GET and
// list return, and selectors on them keep working; other labels stay.
func TestAPIPhaseLabelsAreTheEngines(t *testing.T) {
	c := startAPI(t)
	c.submitLabelled("forged-running", "sleep 30", map[string]string{phaseLabel: "Succeeded", completedLabel: "true", "team": "a"})
	c.submitLabelled("forged-done", "true", map[string]string{phaseLabel: "Failed", completedLabel: "false"})
	c.waitPhase("forged-running", "Running", 5*time.Second)
	c.waitPhase("forged-done", "Succeeded", 5*time.Second)
	want := map[string][2]string{"forged-running": {"Running", "false"}, "forged-done": {"Succeeded", "true"}}
	check := func(how, name string, labels map[string]any) {
		t.Helper()
		w := want[name]
		if labels[phaseLabel] != w[0] || labels[completedLabel] != w[1] {
			t.Errorf("%s %s: labels %v, want phase %s, completed %s", how, name, labels, w[0], w[1])
		}
	}
	for name := range want {
		code, out := c.do("GET", "/api/v1/workflows/default/"+name, "")
		if code != 200 {
			t.Fatalf("get %s: %d %v", name, code, out)
		}
		check("GET", name, labelsOf(out))
	}
	all := c.listed("")
	for name := range want {
		check("list", name, all[name])
	}
	if all["forged-running"]["team"] != "a" {
		t.Errorf("the user's own label is lost: %v", all["forged-running"])
	}
	if got := c.listed(phaseLabel + "=Running"); len(got) != 1 || got["forged-running"] == nil {
		t.Errorf("selector phase=Running lists %v", got)
	}
	if got := c.listed(completedLabel + "=true"); len(got) != 1 || got["forged-done"] == nil {
		t.Errorf("selector completed=true lists %v", got)
	}
}

// Each workflow a watch sends carries the labels of its phase then.
func TestAPIWatchSendsThePhaseLabels(t *testing.T) {
	c := startAPI(t)
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	watch := openStream(t, t.Context(), hc, c.base+"/api/v1/workflow-events/default?listOptions.fieldSelector=metadata.name%3Dforged")
	c.submitLabelled("forged", "sleep 0.2", map[string]string{phaseLabel: "Error", completedLabel: "true"})
	watchUntilSucceeded(t, watch, 10*time.Second, func(l streamLine, p string) {
		var wf map[string]any
		if err := json.Unmarshal(l.Result.Object, &wf); err != nil {
			t.Fatal(err)
		}
		labels := labelsOf(wf)
		if labels[phaseLabel] != p || labels[completedLabel] != fmt.Sprint(p == "Succeeded") {
			t.Errorf("%s event of a %s workflow has labels %v", l.Result.Type, p, labels)
		}
	})
}
