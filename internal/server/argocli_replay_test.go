package server_test

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// recorded is one request of testdata/argocli/v4.1.2.jsonl.
type recorded struct {
	Step   string `json:"step"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Body   string `json:"body"`
	Status int    `json:"status"`
}

// replayChecks are what the CLI reads from an answer, by step: each
// string must be in it.
var replayChecks = map[string][]string{
	"latest-empty":          {"no workflows found in namespace default"},
	"submit-from-wft":       {`"name":"greet-`, `"workflows.argoproj.io/workflow-template":"greet"`, `"value":"x"`},
	"submit-from-cwft":      {`"name":"shared-`, `"workflows.argoproj.io/cluster-workflow-template":"shared"`},
	"submit-from-cron":      {`"name":"nightly-`, `"workflows.argoproj.io/cron-workflow":"nightly"`},
	"get-latest":            {`"name":"nightly-`, `"phase":"Succeeded"`},
	"logs-latest":           {`{"result":{"content":"hello z"`},
	"sync-create-db":        {`"type":1`, `"key":"dbkey"`},
	"sync-get-db":           {`"type":1`, `"limit":0`},
	"sync-get-db2":          {`"limit":1`},
	"sync-delete-db":        {"set its limit to 0"},
	"sync-get-cm":           {`"cmName":"limits"`, `"limit":2`},
	"sync-get-cm-gone":      {`"code":5`},
	"hostile-sync-neg":      {"limit must not be negative"},
	"sync-get-db3":          {`"limit":1`},
	"hostile-from-other-ns": {"WorkflowTemplate default2/greet: not found"},
	"hostile-from-missing":  {"WorkflowTemplate default/missing: not found"},
	"hostile-from-bad-kind": {"Resource kind 'pod' is not supported for submitting"},
	"hostile-param-file":    {"request body over"},
	"retry-p":               {`"name":"flaky"`},
	"resubmit-p":            {`"name":"flaky-`, `"value":"false"`},
	"resubmit-memoized":     {"use argo retry"},
	"node-set-bad":          {"node is not expecting output parameter 'nope'"},
	"logs-gate":             {"got yes"},
	"resubmit-latest":       {`"name":"gate-`},
	"latest-other-ns":       {"no workflows found in namespace nowhere"},
	"submit-from-opts":      {`"name":"fixed"`, `"entrypoint":"alt"`, `"a":"b"`},
	"submit-from-dry":       {`"name":"greet-`},
	"get-fixed":             {`"phase":"Succeeded"`, `"entrypoint":"alt"`},
}

// The requests the real argo CLI v4.1.2 sent for the commands in
// testdata/argocli/README.md, replayed in order against a fresh server:
// each gets the recorded status, and its answer holds what the CLI reads.
// Between commands the test waits, as the CLI's --wait did, until no
// workflow has work in progress (a suspended node waits for node set).
func TestArgoCLIReplay(t *testing.T) {
	f, err := os.Open("testdata/argocli/v4.1.2.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := startAPI(t)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	checked := map[string]bool{}
	for sc.Scan() {
		var e recorded
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		if cut, ok := strings.CutSuffix(e.Body, "...(truncated)"); ok {
			// The 10 MB parameter file, grown back.
			e.Body = cut + strings.Repeat("x", 10<<20) + `"]}}`
		}
		settle(t, c)
		code, b := argoDo(t, c, e.Method, e.Path, e.Body)
		if code != e.Status {
			t.Fatalf("%s: %s %s: %d %.400s, recorded %d", e.Step, e.Method, e.Path, code, b, e.Status)
		}
		for _, want := range replayChecks[e.Step] {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s: %s %s: the answer lacks %q: %.600s", e.Step, e.Method, e.Path, want, b)
			}
		}
		checked[e.Step] = true
	}
	for step := range replayChecks {
		if !checked[step] {
			t.Errorf("step %s is not in the recording", step)
		}
	}
}

// settle waits until every workflow in default has ended or waits on a
// suspend node.
func settle(t *testing.T, c *apiClient) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, b := argoDo(t, c, "GET", "/api/v1/workflows/default", "")
		var list struct {
			Items []struct {
				Metadata struct{ Name string } `json:"metadata"`
				Status   struct {
					Phase string `json:"phase"`
					Nodes map[string]struct {
						Type  string `json:"type"`
						Phase string `json:"phase"`
					} `json:"nodes"`
				} `json:"status"`
			} `json:"items"`
		}
		if err := json.Unmarshal(b, &list); err != nil {
			t.Fatalf("list: %v %s", err, b)
		}
		busy := ""
		for _, wf := range list.Items {
			if p := wf.Status.Phase; p != "Pending" && p != "Running" {
				continue
			}
			_, one := argoDo(t, c, "GET", "/api/v1/workflows/default/"+wf.Metadata.Name, "")
			if err := json.Unmarshal(one, &wf); err != nil {
				t.Fatalf("get %s: %v %s", wf.Metadata.Name, err, one)
			}
			waiting := false
			for _, n := range wf.Status.Nodes {
				waiting = waiting || n.Type == "Suspend" && n.Phase == "Running"
			}
			if !waiting {
				busy = wf.Metadata.Name
			}
		}
		if busy == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is still running", busy)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
