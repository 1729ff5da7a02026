package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runawayDo sends a request the way a browser-proof client does (JSON
// content type) and returns the status and the raw body.
func runawayDo(t *testing.T, method, url, body string, timeout time.Duration) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	c := &http.Client{Timeout: timeout}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func runawayWorkflow(name, spec string) string {
	return fmt.Sprintf(`{"workflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": %q}, "spec": %s}}`, name, spec)
}

// listedStatus reads a workflow's phase and message from the list, which
// carries no nodes (a runaway's GET would be megabytes).
func listedStatus(t *testing.T, url, name string) (phase, message string, found bool) {
	t.Helper()
	code, body := runawayDo(t, "GET", url+"/api/v1/workflows/default", "", 30*time.Second)
	if code != 200 {
		t.Fatalf("list: %d %s", code, body)
	}
	var list struct {
		Items []struct {
			Metadata struct{ Name string }
			Status   struct{ Phase, Message string }
		}
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatalf("list: %v", err)
	}
	for _, it := range list.Items {
		if it.Metadata.Name == name {
			return it.Status.Phase, it.Status.Message, true
		}
	}
	return "", "", false
}

func waitPhase(t *testing.T, url, name, want string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		phase, msg, _ := listedStatus(t, url, name)
		if phase == want {
			return msg
		}
		if time.Now().After(deadline) {
			t.Fatalf("workflow %s is %q (%s) after %s, want %s", name, phase, msg, within, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

// Runaway manifests against a real server: a loop too large to run is
// refused at submission (or failed at once when its size shows only at
// run time), a template that calls itself twice fails at the node limit
// and frees its lock, and a large allowed loop can be terminated and
// deleted in seconds; the server's peak memory stays bounded throughout.
func TestServerRunawayManifests(t *testing.T) {
	// The node limit is set below its default (50,000) to show the flag at
	// work and keep the test short under the race detector, where SQLite
	// writes the failed workflow's nodes some 20 times slower.
	s := startServer(t, "--db", filepath.Join(t.TempDir(), "runaway.db"), "--max-nodes", "5000")
	wfs := s.url + "/api/v1/workflows/default"

	// (a) The size is in the manifest: refused, naming the field.
	code, body := runawayDo(t, "POST", wfs, runawayWorkflow("seq-literal", `{"entrypoint": "main", "templates": [
	  {"name": "main", "steps": [[{"name": "many", "template": "echo", "withSequence": {"count": "1000000"}}]]},
	  {"name": "echo", "container": {"image": "x", "command": ["true"]}}]}`), 10*time.Second)
	if code != 400 || !strings.Contains(body, "withSequence") || !strings.Contains(body, "max-loop-items") {
		t.Fatalf("a literal withSequence of 1,000,000: %d %s; want 400 naming the field and the limit", code, body)
	}
	// The size comes from a parameter: accepted, then failed at once.
	code, body = runawayDo(t, "POST", wfs, runawayWorkflow("seq-param", `{"entrypoint": "main",
	  "arguments": {"parameters": [{"name": "n", "value": "1000000"}]}, "templates": [
	  {"name": "main", "steps": [[{"name": "many", "template": "echo", "withSequence": {"count": "{{workflow.parameters.n}}"}}]]},
	  {"name": "echo", "container": {"image": "x", "command": ["true"]}}]}`), 10*time.Second)
	if code != 200 {
		t.Fatalf("create seq-param: %d %s", code, body)
	}
	if msg := waitPhase(t, s.url, "seq-param", "Failed", 10*time.Second); !strings.Contains(msg, "max-loop-items") {
		t.Fatalf("seq-param failed with %q, want the loop limit named", msg)
	}

	// (b) A template that calls itself twice, holding a mutex.
	code, body = runawayDo(t, "POST", wfs, runawayWorkflow("fork-bomb", `{"entrypoint": "fork",
	  "synchronization": {"mutex": {"name": "runaway"}}, "templates": [
	  {"name": "fork", "steps": [[{"name": "left", "template": "fork"}, {"name": "right", "template": "fork"}]]}]}`), 10*time.Second)
	if code != 200 {
		t.Fatalf("create fork-bomb: %d %s", code, body)
	}
	start := time.Now()
	if msg := waitPhase(t, s.url, "fork-bomb", "Failed", 20*time.Second); !strings.Contains(msg, "limit of 5000 nodes") || !strings.Contains(msg, `"fork"`) {
		t.Fatalf("fork-bomb failed with %q, want the node limit and the template named", msg)
	}
	t.Logf("fork-bomb failed in %s", time.Since(start).Round(time.Millisecond))
	// Its mutex was released: the next holder runs.
	code, body = runawayDo(t, "POST", wfs, runawayWorkflow("after-bomb", `{"entrypoint": "main",
	  "synchronization": {"mutex": {"name": "runaway"}}, "templates": [
	  {"name": "main", "container": {"image": "x", "command": ["true"]}}]}`), 10*time.Second)
	if code != 200 {
		t.Fatalf("create after-bomb: %d %s", code, body)
	}
	waitPhase(t, s.url, "after-bomb", "Succeeded", 15*time.Second)

	// (c) A large loop within the limits, terminated then deleted.
	code, body = runawayDo(t, "POST", wfs, runawayWorkflow("big-loop", `{"entrypoint": "main", "parallelism": 20, "templates": [
	  {"name": "main", "steps": [[{"name": "many", "template": "sleep", "withSequence": {"count": "20000"}}]]},
	  {"name": "sleep", "container": {"image": "x", "command": ["sleep", "120"]}}]}`), 10*time.Second)
	if code != 200 {
		t.Fatalf("create big-loop: %d %s", code, body)
	}
	waitPhase(t, s.url, "big-loop", "Running", 10*time.Second)
	time.Sleep(time.Second) // steps under way
	start = time.Now()
	if code, body := runawayDo(t, "PUT", wfs+"/big-loop/terminate", "{}", 10*time.Second); code != 200 {
		t.Fatalf("terminate: %d %s", code, body)
	}
	waitPhase(t, s.url, "big-loop", "Failed", 10*time.Second)
	t.Logf("terminate took effect in %s", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	if code, body := runawayDo(t, "DELETE", wfs+"/big-loop", "", 10*time.Second); code != 200 {
		t.Fatalf("delete: %d %s", code, body)
	}
	if _, _, found := listedStatus(t, s.url, "big-loop"); found {
		t.Fatal("big-loop is still listed after its delete answered")
	}
	t.Logf("delete took %s", time.Since(start).Round(time.Millisecond))

	// Deleting a running one directly also works.
	code, body = runawayDo(t, "POST", wfs, runawayWorkflow("big-loop-2", `{"entrypoint": "main", "parallelism": 20, "templates": [
	  {"name": "main", "steps": [[{"name": "many", "template": "sleep", "withSequence": {"count": "20000"}}]]},
	  {"name": "sleep", "container": {"image": "x", "command": ["sleep", "120"]}}]}`), 10*time.Second)
	if code != 200 {
		t.Fatalf("create big-loop-2: %d %s", code, body)
	}
	waitPhase(t, s.url, "big-loop-2", "Running", 10*time.Second)
	time.Sleep(time.Second)
	start = time.Now()
	if code, body := runawayDo(t, "DELETE", wfs+"/big-loop-2", "", 10*time.Second); code != 200 {
		t.Fatalf("delete of a running workflow: %d %s", code, body)
	}
	t.Logf("delete of a running workflow took %s", time.Since(start).Round(time.Millisecond))

	if rss := peakRSS(t, s.cmd.Process.Pid); rss > 1<<30 {
		t.Fatalf("server peak RSS %d MiB, want under 1 GiB", rss>>20)
	} else {
		t.Logf("server peak RSS %d MiB", rss>>20)
	}
	s.stop(t)
}
