package server_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/app"
	"github.com/semaflow/semaflow/internal/testkit"
)

// submitTo submits a one-step workflow running script to node a.
func submitTo(t *testing.T, a *app.App, name, script string) {
	t.Helper()
	wf := fmt.Sprintf(`{"workflow": {"metadata": {"name": %q}, "spec": {"entrypoint": "main",
	  "templates": [{"name": "main", "container": {"image": "x", "command": ["sh", "-c", %q]}}]}}}`, name, script)
	if code, _, body := call(t, "POST", a.URL+"/api/v1/workflows/default", wf, map[string]string{"Content-Type": "application/json"}); code != 200 {
		t.Fatalf("submit %s: %d %s", name, code, body)
	}
}

// getWorkflow reads a workflow through node a.
func getWorkflow(t *testing.T, a *app.App, name string) (int, map[string]any) {
	t.Helper()
	code, _, body := call(t, "GET", a.URL+"/api/v1/workflows/default/"+name, "", nil)
	var out map[string]any
	_ = json.Unmarshal([]byte(body), &out)
	return code, out
}

// eventually polls cond for up to d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Two nodes on one database: what node n1 runs is read, suspended,
// resumed, stopped and deleted through n2, as a browser at n2 would.
func TestTwoNodesServeEachOthersWorkflows(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	n1 := startNode(t, dsn, "n1", 500*time.Millisecond)
	n2 := startNode(t, dsn, "n2", 500*time.Millisecond)
	browser := map[string]string{"Origin": n2.URL, "Content-Type": "application/json"}

	submitTo(t, n1, "long", "echo started; sleep 30")
	logs := func(a *app.App) string {
		_, _, body := call(t, "GET", a.URL+"/api/v1/workflows/default/long/log", "", nil)
		return body
	}
	eventually(t, 10*time.Second, "the step's first line in n1's log", func() bool { return strings.Contains(logs(n1), "started") })
	if body := logs(n2); !strings.Contains(body, `"content":"started"`) {
		t.Fatalf("logs through n2: %s", body)
	}

	// Followed through n2: the line comes at once, and the stream ends
	// with the workflow.
	req, _ := http.NewRequest("GET", n2.URL+"/api/v1/workflows/default/long/log?logOptions.follow=true", nil)
	req.Header.Set("Authorization", "Bearer "+fwdToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case l := <-lines:
		if !strings.Contains(l, "started") {
			t.Fatalf("first followed line through n2: %q", l)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no followed line through n2")
	}

	suspended := func() bool {
		_, wf := getWorkflow(t, n2, "long")
		spec, _ := wf["spec"].(map[string]any)
		return spec["suspend"] == true
	}
	if code, _, body := call(t, "PUT", n2.URL+"/api/v1/workflows/default/long/suspend", "", browser); code != 200 {
		t.Fatalf("suspend through n2: %d %s", code, body)
	}
	eventually(t, 5*time.Second, "suspended", suspended)
	if code, _, body := call(t, "PUT", n2.URL+"/api/v1/workflows/default/long/resume", "", browser); code != 200 {
		t.Fatalf("resume through n2: %d %s", code, body)
	}
	eventually(t, 5*time.Second, "resumed", func() bool { return !suspended() })
	if code, _, body := call(t, "PUT", n2.URL+"/api/v1/workflows/default/long/stop", "", browser); code != 200 {
		t.Fatalf("stop through n2: %d %s", code, body)
	}
	eventually(t, 10*time.Second, "the stopped workflow ends", func() bool {
		_, wf := getWorkflow(t, n2, "long")
		st, _ := wf["status"].(map[string]any)
		return st["phase"] == "Failed" || st["phase"] == "Succeeded" || st["phase"] == "Error"
	})
	ended := time.After(10 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-lines:
		case <-ended:
			t.Fatal("the followed log through n2 did not end with the workflow")
		}
	}
	if body := logs(n2); !strings.Contains(body, `"content":"started"`) {
		t.Fatalf("logs of the ended workflow through n2: %s", body)
	}

	// Deleting through n2 a workflow n1 runs terminates it there.
	submitTo(t, n1, "doomed", "sleep 30")
	eventually(t, 10*time.Second, "doomed runs", func() bool {
		_, wf := getWorkflow(t, n1, "doomed")
		st, _ := wf["status"].(map[string]any)
		return st["phase"] == "Running"
	})
	if code, _, body := call(t, "DELETE", n2.URL+"/api/v1/workflows/default/doomed", "", nil); code != 200 {
		t.Fatalf("delete through n2: %d %s", code, body)
	}
	if code, _ := getWorkflow(t, n1, "doomed"); code != 404 {
		t.Fatalf("the deleted workflow: %d, want 404", code)
	}
}
