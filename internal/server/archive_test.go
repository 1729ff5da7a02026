package server_test

import (
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/server"
)

// archivedSpec is a one-step workflow that ttlStrategy deletes once it
// succeeded: only the archive keeps it then.
func archivedSpec(ttl string) string {
	return fmt.Sprintf(`{"entrypoint": "main", "ttlStrategy": %s,
	  "arguments": {"parameters": [{"name": "who", "value": "first"}]},
	  "templates": [{"name": "main", "inputs": {"parameters": [{"name": "who"}]},
	    "container": {"image": "x", "command": ["echo", "{{inputs.parameters.who}}"]}}]}`, ttl)
}

func (c *apiClient) submitWithLabels(name, spec string, labels string) {
	c.t.Helper()
	wf := fmt.Sprintf(`{"workflow": {"metadata": {"name": %q, "labels": %s}, "spec": %s}}`, name, labels, spec)
	if code, out := c.do("POST", "/api/v1/workflows/default", wf); code != 200 {
		c.t.Fatalf("create %s: %d %v", name, code, out)
	}
}

// waitGone polls until the live workflow name is deleted, within d.
func (c *apiClient) waitGone(name string, d time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if code, _ := c.do("GET", "/api/v1/workflows/default/"+name, ""); code == 404 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("%s still listed after %v: its ttlStrategy should have deleted it", name, d)
}

// archived lists the archive with query and answers the names, the
// continue token and the items by name.
func (c *apiClient) archived(query string) ([]string, string, map[string]map[string]any) {
	c.t.Helper()
	code, out := c.do("GET", "/api/v1/archived-workflows?"+query, "")
	if code != 200 {
		c.t.Fatalf("archive list %q: %d %v", query, code, out)
	}
	var names []string
	byName := map[string]map[string]any{}
	items, _ := out["items"].([]any)
	for _, it := range items {
		wf, _ := it.(map[string]any)
		md, _ := wf["metadata"].(map[string]any)
		n := fmt.Sprint(md["name"])
		names = append(names, n)
		byName[n] = wf
	}
	md, _ := out["metadata"].(map[string]any)
	cont, _ := md["continue"].(string)
	slices.Sort(names)
	return names, cont, byName
}

func uidOf(wf map[string]any) string {
	md, _ := wf["metadata"].(map[string]any)
	return fmt.Sprint(md["uid"])
}

// A finished workflow is archived when it ends and stays in the archive
// after its ttlStrategy deleted it: Argo's /api/v1/archived-workflows
// lists it (label and field selectors, name prefix, exact name, pages),
// gets it whole by UID, names its label keys and values, resubmits it
// as a new workflow and deletes it.
func TestArchivedWorkflowsAPI(t *testing.T) {
	c := startAPI(t)
	c.local.Engine.StartTTL()
	c.submitWithLabels("arch", archivedSpec(`{"secondsAfterCompletion": 0}`), `{"team": "blue"}`)
	c.submitWithLabels("arch-two", archivedSpec(`{}`), `{"team": "red", "tier": "gold"}`)
	c.waitGone("arch", 20*time.Second)
	c.waitPhase("arch-two", "Succeeded", 20*time.Second)

	names, cont, items := c.archived("namespace=default")
	if !slices.Equal(names, []string{"arch", "arch-two"}) || cont != "" {
		t.Fatalf("archive list: %v (continue %q), want arch and arch-two", names, cont)
	}
	st, _ := items["arch"]["status"].(map[string]any)
	if st["phase"] != "Succeeded" || st["nodes"] != nil {
		t.Errorf("listed archived workflow: status %v, want Succeeded without nodes", st)
	}
	uid := uidOf(items["arch"])

	for q, want := range map[string][]string{
		"listOptions.labelSelector=" + url.QueryEscape("team=blue"):                             {"arch"},
		"listOptions.labelSelector=" + url.QueryEscape("team in (red,green),tier"):              {"arch-two"},
		"listOptions.labelSelector=" + url.QueryEscape("workflows.argoproj.io/phase=Succeeded"): {"arch", "arch-two"},
		"listOptions.fieldSelector=" + url.QueryEscape("metadata.namespace=default"):            {"arch", "arch-two"},
		"listOptions.fieldSelector=" + url.QueryEscape("metadata.namespace=elsewhere"):          nil,
		"namespace=elsewhere": nil,
		"listOptions.fieldSelector=" + url.QueryEscape("metadata.name=arch"):  {"arch"},
		"listOptions.fieldSelector=" + url.QueryEscape("metadata.name!=arch"): {"arch-two"},
		"namePrefix=arch-": {"arch-two"},
		"namePrefix=arch":  {"arch", "arch-two"},
		// What `argo archive get NAME` sends to find the UID of NAME.
		"namespace=default&namePrefix=arch&nameFilter=Exact": {"arch"},
	} {
		if got, _, _ := c.archived(q); !slices.Equal(got, want) {
			t.Errorf("archive list %s: %v, want %v", q, got, want)
		}
	}

	// Pages of one: every workflow once, then no continue token.
	var paged []string
	for q, pages := "listOptions.limit=1", 0; ; pages++ {
		if pages > 3 {
			t.Fatalf("archive list pages never end: %v", paged)
		}
		got, next, _ := c.archived(q)
		if len(got) != 1 {
			t.Fatalf("archive page %q: %v, want one workflow", q, got)
		}
		paged = append(paged, got...)
		if next == "" {
			break
		}
		q = "listOptions.limit=1&listOptions.continue=" + url.QueryEscape(next)
	}
	slices.Sort(paged)
	if !slices.Equal(paged, []string{"arch", "arch-two"}) {
		t.Errorf("paged archive list: %v", paged)
	}
	if code, _ := c.do("GET", "/api/v1/archived-workflows?listOptions.continue=bogus", ""); code != 400 {
		t.Errorf("a bad continue token: %d, want 400", code)
	}
	if code, _ := c.do("GET", "/api/v1/archived-workflows?listOptions.fieldSelector=spec.foo%3Dx", ""); code != 400 {
		t.Errorf("an unknown field selector: %d, want 400", code)
	}

	code, got := c.do("GET", "/api/v1/archived-workflows/"+uid, "")
	gst, _ := got["status"].(map[string]any)
	if code != 200 || gst["phase"] != "Succeeded" || len(gst["nodes"].(map[string]any)) == 0 {
		t.Fatalf("archive get %s: %d %v", uid, code, got)
	}
	if code, out := c.do("GET", "/api/v1/archived-workflows/no-such-uid", ""); code != 404 {
		t.Errorf("archive get of an unknown uid: %d %v, want 404", code, out)
	}

	code, keys := c.do("GET", "/api/v1/archived-workflows-label-keys?namespace=default", "")
	if kl := fmt.Sprint(keys["items"]); code != 200 || !strings.Contains(kl, "team") || !strings.Contains(kl, "tier") {
		t.Errorf("label keys: %d %v, want team and tier", code, keys)
	}
	code, vals := c.do("GET", "/api/v1/archived-workflows-label-values?listOptions.labelSelector=team", "")
	if fmt.Sprint(vals["items"]) != "[blue red]" || code != 200 {
		t.Errorf("label values of team: %d %v, want [blue red]", code, vals)
	}
	if code, _ := c.do("GET", "/api/v1/archived-workflows-label-values?listOptions.labelSelector=team%3Dblue", ""); code != 400 {
		t.Errorf("label values with an operator: %d, want 400 (Argo takes one key alone)", code)
	}

	// Resubmit: a new workflow from the archived spec, its parameter
	// replaced, named after the archived one.
	code, made := c.do("PUT", "/api/v1/archived-workflows/"+uid+"/resubmit",
		`{"uid": "`+uid+`", "namespace": "default", "parameters": ["who=again"]}`)
	md, _ := made["metadata"].(map[string]any)
	newName, _ := md["name"].(string)
	if code != 200 || !strings.HasPrefix(newName, "arch-") {
		t.Fatalf("archive resubmit: %d %v", code, made)
	}
	c.waitGone(newName, 20*time.Second) // it has the same ttlStrategy
	if _, _, again := c.archived("namePrefix=" + newName + "&nameFilter=Exact"); again[newName] == nil {
		t.Errorf("the resubmitted workflow %s was not archived when it ended", newName)
	}

	if code, out := c.do("DELETE", "/api/v1/archived-workflows/"+uid, ""); code != 200 {
		t.Fatalf("archive delete: %d %v", code, out)
	}
	if code, _ := c.do("GET", "/api/v1/archived-workflows/"+uid, ""); code != 404 {
		t.Errorf("archive get after delete: %d, want 404", code)
	}
	if code, _ := c.do("DELETE", "/api/v1/archived-workflows/"+uid, ""); code != 404 {
		t.Errorf("a second archive delete: %d, want 404", code)
	}
}

// A token scoped to namespaces lists, gets, deletes and resubmits only
// its namespaces' archived workflows.
func TestArchivedWorkflowsScopedToken(t *testing.T) {
	c := startTokenAPI(t, []server.Token{{Value: adminToken}, {Value: teamAToken, Namespaces: []string{"team-a"}}})
	wf := `{"workflow": {"metadata": {"name": "secret-b", "namespace": "team-b"}, "spec": ` + archivedSpec(`{}`) + `}}`
	if code, body := c.do(adminToken, "POST", "/api/v1/workflows/team-b", wf); code != 200 {
		t.Fatalf("create: %d %s", code, body)
	}
	var uid string
	deadline := time.Now().Add(20 * time.Second)
	for uid == "" && time.Now().Before(deadline) {
		_, body := c.do(adminToken, "GET", "/api/v1/archived-workflows?namespace=team-b", "")
		if i := strings.Index(body, `"uid":"`); i >= 0 {
			uid = body[i+7 : i+7+strings.Index(body[i+7:], `"`)]
		}
		time.Sleep(20 * time.Millisecond)
	}
	if uid == "" {
		t.Fatal("secret-b was never archived")
	}
	for _, r := range []struct{ method, path string }{
		{"GET", "/api/v1/archived-workflows?namespace=team-b"},
		{"GET", "/api/v1/archived-workflows"},
		{"GET", "/api/v1/archived-workflows/" + uid},
		{"DELETE", "/api/v1/archived-workflows/" + uid},
		{"PUT", "/api/v1/archived-workflows/" + uid + "/resubmit"},
	} {
		if code, body := c.do(teamAToken, r.method, r.path, `{}`); code != 403 || strings.Contains(body, "secret-b") {
			t.Errorf("%s %s with a team-a token: %d %s, want 403 without the workflow", r.method, r.path, code, body)
		}
	}
	if code, body := c.do(teamAToken, "GET", "/api/v1/archived-workflows?namespace=team-a", ""); code != 200 || strings.Contains(body, "secret-b") {
		t.Errorf("team-a's own archive: %d %s", code, body)
	}
	if code, _ := c.do(adminToken, "GET", "/api/v1/archived-workflows/"+uid, ""); code != 200 {
		t.Errorf("admin get: %d", code)
	}
}

// Retrying an archived Failed workflow re-creates it under its name when
// no live workflow has it, as Argo's archive retry does, and runs its
// failed step again; while the live one exists it is refused.
func TestArchivedWorkflowRetry(t *testing.T) {
	c := startAPI(t)
	c.local.Engine.StartTTL()
	// Outside /tmp: each step has a private /tmp.
	dir, err := os.MkdirTemp("/var/tmp", "semaflow-archive-retry-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	mark := dir + "/ran-once"
	spec := fmt.Sprintf(`{"entrypoint": "main", "ttlStrategy": {"secondsAfterFailure": 0},
	  "templates": [{"name": "main", "container": {"image": "x", "command": ["sh", "-c", %q]}}]}`,
		"if [ -f "+mark+" ]; then echo second; else touch "+mark+"; exit 3; fi")
	c.submitWithLabels("flaky", spec, `{}`)
	c.waitGone("flaky", 20*time.Second)
	_, _, items := c.archived("namePrefix=flaky&nameFilter=Exact")
	uid := uidOf(items["flaky"])
	if code, out := c.do("PUT", "/api/v1/archived-workflows/"+uid+"/retry", `{"uid": "`+uid+`"}`); code != 200 {
		t.Fatalf("archive retry: %d %v", code, out)
	}
	c.waitPhase("flaky", "Succeeded", 20*time.Second)
	if code, out := c.do("PUT", "/api/v1/archived-workflows/"+uid+"/retry", `{}`); code != 409 || !strings.Contains(fmt.Sprint(out["message"]), "still listed") {
		t.Errorf("archive retry while the live workflow exists: %d %v, want 409", code, out)
	}
}
