package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

type streamLine struct {
	Result struct {
		Type    string          `json:"type"`
		Object  json.RawMessage `json:"object"`
		Content string          `json:"content"`
		PodName string          `json:"podName"`
	} `json:"result"`
}

// openStream starts a GET whose answer is a JSON-lines stream; lines
// arrive on the channel, which closes when the stream ends.
func openStream(t *testing.T, ctx context.Context, hc *http.Client, url string) <-chan streamLine {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	out := make(chan streamLine, 1024)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "" {
				continue
			}
			var l streamLine
			if json.Unmarshal(sc.Bytes(), &l) == nil {
				out <- l
			}
		}
	}()
	return out
}

func phaseOf(raw json.RawMessage) string {
	var wf struct {
		Status struct{ Phase string } `json:"status"`
	}
	_ = json.Unmarshal(raw, &wf)
	return wf.Status.Phase
}

// watchUntilSucceeded hands each event of a watch, with the phase of its
// workflow, to see, up to and with the Succeeded one; the stream ending
// first, or d passing, fails the test.
func watchUntilSucceeded(t *testing.T, events <-chan streamLine, d time.Duration, see func(l streamLine, phase string)) {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case l, ok := <-events:
			if !ok {
				t.Fatal("the watch stream ended before the workflow succeeded")
			}
			p := phaseOf(l.Result.Object)
			see(l, p)
			if p == "Succeeded" {
				return
			}
		case <-timeout:
			t.Fatalf("no Succeeded event within %v", d)
		}
	}
}

// The watch sends the workflow first, then its changes up to its end; a
// followed log delivers every line in order and ends with the workflow.
func TestAPIWatchAndFollowLogs(t *testing.T) {
	c := startAPI(t)
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	ctx := t.Context()
	c.submit("talk", `{"entrypoint": "main", "templates": [{"name": "main", "script": {"image": "x", "command": ["sh"],
	  "source": "for i in 1 2 3 4 5; do echo line $i; sleep 0.1; done; printf tail"}}]}`)
	watch := openStream(t, ctx, hc, c.base+"/api/v1/workflow-events/default?listOptions.fieldSelector=metadata.name%3Dtalk")
	logs := openStream(t, ctx, hc, c.base+"/api/v1/workflows/default/talk/log?logOptions.follow=true")
	var content []string
	for l := range logs {
		content = append(content, l.Result.Content)
		if l.Result.PodName == "" {
			t.Fatalf("log line without podName: %+v", l)
		}
	}
	if got := strings.Join(content, "|"); got != "line 1|line 2|line 3|line 4|line 5|tail" {
		t.Fatalf("followed log: %q", got)
	}
	var types []string
	watchUntilSucceeded(t, watch, 10*time.Second, func(l streamLine, phase string) {
		t.Logf("watch: %s of a %s workflow", l.Result.Type, phase)
		types = append(types, l.Result.Type)
	})
	if types[0] != "ADDED" || types[len(types)-1] != "MODIFIED" {
		t.Fatalf("watch event types %v", types)
	}
	// A finished workflow's log is served whole, and by pod.
	var lines []string
	for l := range openStream(t, ctx, hc, c.base+"/api/v1/workflows/default/talk/log?grep=line+[24]") {
		lines = append(lines, l.Result.Content)
	}
	if fmt.Sprint(lines) != "[line 2 line 4]" {
		t.Fatalf("grep over a finished log: %v", lines)
	}
	if code, _ := c.do("GET", "/api/v1/workflows/default/talk/log?podName=nope", ""); code != 404 {
		t.Fatalf("log of a missing pod: %d", code)
	}
	// Argo's UI asks for Server-Sent Events.
	req, _ := http.NewRequestWithContext(ctx, "GET", c.base+"/api/v1/workflow-events/default?listOptions.fieldSelector=metadata.name%3Dtalk", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || resp.Header.Get("Content-Type") != "text/event-stream" || !strings.HasPrefix(line, `data: {"result":{"type":"ADDED"`) {
		t.Fatalf("SSE watch: %q %v, first line %q", resp.Header.Get("Content-Type"), err, line)
	}
}

// Clients that leave in the middle of a watch or a followed log leave no
// goroutine behind in the server.
func TestAPIStreamsEndWhenClientsLeave(t *testing.T) {
	c := startAPI(t)
	c.submit("long", `{"entrypoint": "main", "templates": [{"name": "main", "script": {"image": "x", "command": ["sh"],
	  "source": "while true; do echo tick; sleep 0.05; done"}}]}`)
	// The step's process must be running before the snapshot: the engine
	// starts its supervisor (and the goroutine reading it) on first use.
	for deadline := time.Now().Add(5 * time.Second); !stepRunning(c, "long"); {
		if time.Now().After(deadline) {
			t.Fatal("the step did not start running")
		}
		time.Sleep(10 * time.Millisecond)
	}
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	before := goleak.IgnoreCurrent()
	for range 3 {
		ctx, cancel := context.WithCancel(t.Context())
		watch := openStream(t, ctx, hc, c.base+"/api/v1/workflow-events/") // all namespaces
		logs := openStream(t, ctx, hc, c.base+"/api/v1/workflows/default/long/log?logOptions.follow=true")
		if l := <-watch; l.Result.Type != "ADDED" {
			t.Fatalf("first watch event %+v", l)
		}
		for range 3 {
			if l := <-logs; l.Result.Content != "tick" {
				t.Fatalf("log line %+v", l)
			}
		}
		cancel()
		for range watch {
		}
		for range logs {
		}
	}
	hc.CloseIdleConnections()
	goleak.VerifyNone(t, before)
}

// stepRunning says whether one of the workflow's steps (pods) runs.
func stepRunning(c *apiClient, name string) bool {
	_, out := c.do("GET", "/api/v1/workflows/default/"+name, "")
	st, _ := out["status"].(map[string]any)
	nodes, _ := st["nodes"].(map[string]any)
	for _, n := range nodes {
		if m, _ := n.(map[string]any); m["type"] == "Pod" && m["phase"] == "Running" {
			return true
		}
	}
	return false
}
