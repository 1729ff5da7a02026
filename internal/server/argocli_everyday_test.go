package server_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// everydayRequest is one request the real argo CLI sent
// (testdata/argo-cli-v4.1.2/README.md).
type everydayRequest struct {
	Cmd    string `json:"cmd"`
	Method string `json:"method"`
	URL    string `json:"url"`
	Body   string `json:"body"`
}

// recordedName is the workflow name in the everydayRequest URLs.
const recordedName = "hello-b5k6m"

func loadRecorded(t *testing.T) map[string]everydayRequest {
	t.Helper()
	f, err := os.Open("testdata/argo-cli-v4.1.2/everyday.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]everydayRequest{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r everydayRequest
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("testdata: %v", err)
		}
		out[r.Cmd] = r
	}
	return out
}

// replay sends a everydayRequest request as the CLI sent it, with the
// workflow's name put in, and answers the status, headers and body.
func replay(t *testing.T, c *apiClient, r everydayRequest, name string) (int, http.Header, []byte) {
	t.Helper()
	url := strings.ReplaceAll(r.URL, recordedName, name)
	return send(t, &http.Client{Transport: bearer{http.DefaultTransport}}, r.Method, c.base+url, r.Body, nil)
}

// logLines reads a log stream's contents.
func logLines(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	for l := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		if l == "" {
			continue
		}
		var sl streamLine
		if err := json.Unmarshal([]byte(l), &sl); err != nil {
			t.Fatalf("log stream line %q: %v", l, err)
		}
		out = append(out, sl.Result.Content)
	}
	return out
}

// argo submit --serviceaccount is accepted with a warning naming the
// flag, and argo logs' --tail, --since, --since-time, --timestamps and
// -c are honoured (or refused, for a container a step does not have),
// as the CLI sends them.
func TestArgoCLISubmitWarnsAndLogOptions(t *testing.T) {
	rec := loadRecorded(t)
	c := startAPI(t)
	code, hdr, b := replay(t, c, rec["argo submit --serviceaccount sa1"], "")
	if code != 200 {
		t.Fatalf("argo submit --serviceaccount: %d %s", code, b)
	}
	if w := hdr.Get("Warning"); !strings.Contains(w, "serviceAccountName (argo submit --serviceaccount)") {
		t.Fatalf("argo submit --serviceaccount: Warning header %q, want it to name the flag", w)
	}
	var wf struct{ Metadata struct{ Name string } }
	_ = json.Unmarshal(b, &wf)
	name := wf.Metadata.Name
	c.waitPhase(name, "Succeeded", 20*time.Second)

	code, _, b = replay(t, c, rec["argo logs --tail 2"], name)
	if got := strings.Join(logLines(t, b), "|"); code != 200 || got != "line 4|line 5" {
		t.Fatalf("argo logs --tail 2: %d %q", code, got)
	}
	if code, _, b = replay(t, c, rec["argo logs --since-time 2030-01-01T00:00:00Z"], name); code != 200 || len(logLines(t, b)) != 0 {
		t.Fatalf("argo logs --since-time in the future: %d %s", code, b)
	}
	time.Sleep(1100 * time.Millisecond)
	if code, _, b = replay(t, c, rec["argo logs --since 1s"], name); code != 200 || len(logLines(t, b)) != 0 {
		t.Fatalf("argo logs --since 1s, a step that ended over 1s ago: %d %s", code, b)
	}
	code, _, b = replay(t, c, rec["argo logs --timestamps"], name)
	stamped := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z line \d$`)
	lines := logLines(t, b)
	if code != 200 || len(lines) != 5 {
		t.Fatalf("argo logs --timestamps: %d %q", code, lines)
	}
	for _, l := range lines {
		if !stamped.MatchString(l) {
			t.Fatalf("argo logs --timestamps: line %q has no RFC 3339 time first", l)
		}
	}
	code, _, b = replay(t, c, rec["argo logs -c wait"], name)
	var e struct {
		Code    int
		Message string
	}
	if _ = json.Unmarshal(b, &e); code != 400 || e.Code != 3 || !strings.Contains(e.Message, `"wait"`) {
		t.Fatalf("argo logs -c wait: %d %s", code, b)
	}
}

// What semaflow does not have (the archive) answers Argo's error body
// with 501 Unimplemented and why, which the CLI prints, never a bare 404.
func TestArgoCLIUnsupportedSaysWhy(t *testing.T) {
	rec := loadRecorded(t)
	c := startAPI(t)
	for _, cmd := range []string{"argo archive list", "argo archive list-label-keys"} {
		code, _, b := replay(t, c, rec[cmd], "")
		var e struct {
			Code    int
			Message string
		}
		if err := json.Unmarshal(b, &e); err != nil || code != 501 || e.Code != 12 || !strings.Contains(e.Message, "archive") {
			t.Fatalf("%s: %d %s", cmd, code, b)
		}
	}
	// A known path with a method it does not take names the ones it does.
	code, hdr, b := send(t, http.DefaultClient, "PATCH", c.base+"/api/v1/workflows/default/x", "", nil)
	if code != 405 || hdr.Get("Allow") == "" || !strings.Contains(string(b), `"code":12`) {
		t.Fatalf("PATCH a workflow: %d %v %s", code, hdr.Get("Allow"), b)
	}
}

// argo template update, cluster-template update and cron update put the
// object with no name in the path; templates keep their creation time.
func TestArgoCLIUpdatesWithoutNameInPath(t *testing.T) {
	rec := loadRecorded(t)
	c := startAPI(t)
	for _, step := range []struct{ cmd, get string }{
		{"argo template create", "/api/v1/workflow-templates/default/greet"},
		{"argo template update", "/api/v1/workflow-templates/default/greet"},
		{"argo cluster-template create", "/api/v1/cluster-workflow-templates/cgreet"},
		{"argo cluster-template update", "/api/v1/cluster-workflow-templates/cgreet"},
		{"argo cron create", "/api/v1/cron-workflows/default/tick"},
		{"argo cron update", "/api/v1/cron-workflows/default/tick"},
	} {
		if code, _, b := replay(t, c, rec[step.cmd], ""); code != 200 {
			t.Fatalf("%s: %d %s", step.cmd, code, b)
		}
		code, out := c.do("GET", step.get, "")
		md, _ := out["metadata"].(map[string]any)
		if code != 200 || md["creationTimestamp"] == nil {
			t.Fatalf("%s, then GET %s: %d, metadata %v (want a creationTimestamp)", step.cmd, step.get, code, md)
		}
	}
}

// argo cron backfill posts a workflow whose resource template would
// create the cron workflow's workflow once per schedule time: semaflow
// creates them itself, each with its time, labelled as Argo labels them.
func TestArgoCLICronBackfill(t *testing.T) {
	rec := loadRecorded(t)
	c := startAPI(t)
	if code, _, b := replay(t, c, rec["argo cron create"], ""); code != 200 {
		t.Fatalf("argo cron create: %d %s", code, b)
	}
	code, _, b := replay(t, c, rec["argo cron backfill tick --name bf1 --start ... --end ..."], "")
	var first struct{ Metadata struct{ Name string } }
	if _ = json.Unmarshal(b, &first); code != 200 || !strings.HasPrefix(first.Metadata.Name, "tick-backfill-bf1-") {
		t.Fatalf("argo cron backfill: %d %s", code, b)
	}
	code, out := c.do("GET", "/api/v1/workflows/default?listOptions.labelSelector=workflows.argoproj.io%2Fbackfill%3Dtick", "")
	items, _ := out["items"].([]any)
	if code != 200 || len(items) != 3 {
		t.Fatalf("backfill workflows: %d, %d of them, want 3", code, len(items))
	}
	for _, it := range items {
		md := it.(map[string]any)["metadata"].(map[string]any)
		c.waitPhase(md["name"].(string), "Succeeded", 20*time.Second)
	}
}

// argo submit --dry-run (createOptions.dryRun ["All"]) and
// --server-dry-run (serverDryRun) check the workflow and answer it,
// named, without creating it.
func TestArgoCLISubmitDryRunCreatesNothing(t *testing.T) {
	rec := loadRecorded(t)
	c := startAPI(t)
	for _, cmd := range []string{"argo submit hello.yaml --dry-run -o name", "argo submit hello.yaml --server-dry-run -o name"} {
		code, _, b := replay(t, c, rec[cmd], "")
		var wf struct{ Metadata struct{ Name string } }
		if _ = json.Unmarshal(b, &wf); code != 200 || !strings.HasPrefix(wf.Metadata.Name, "hello-") || len(wf.Metadata.Name) <= len("hello-") {
			t.Fatalf("%s: %d %s", cmd, code, b)
		}
		if code, _ := c.do("GET", "/api/v1/workflows/default/"+wf.Metadata.Name, ""); code != 404 {
			t.Fatalf("%s created workflow %s: GET answers %d", cmd, wf.Metadata.Name, code)
		}
	}
}
