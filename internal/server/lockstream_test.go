package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/server"
	"github.com/semaflow/semaflow/internal/testkit"
)

// lockAPI serves the API with a server the test closes (its lock feed
// runs until CloseStreams).
func lockAPI(t *testing.T, tokens []server.Token) (*tokenAPI, *server.Server) {
	t.Helper()
	l := testkit.Open(t, testkit.Options{})
	srv := server.New(l.Engine)
	h := srv.Handler()
	if tokens != nil {
		h = server.RequireToken(tokens, h)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.CloseStreams()
		ts.Close()
		l.Engine.StopAll(true, "test over")
		_ = l.Close()
	})
	return &tokenAPI{t: t, base: ts.URL}, srv
}

// gateDir is where a step waits for a file the test writes: outside /tmp,
// which steps see privately.
func gateDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/var/tmp", "semaflow-locks-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// gatedWorkflow's one step holds namespace's database semaphore "seats"
// until the file gate/name exists.
func gatedWorkflow(ns, name, gate string) string {
	script := "while [ ! -e " + filepath.Join(gate, name) + " ]; do sleep 0.05; done"
	b, _ := json.Marshal(script)
	return `{"workflow": {"metadata": {"name": "` + name + `", "namespace": "` + ns + `"}, "spec": {"entrypoint": "main",
	  "templates": [{"name": "main", "synchronization": {"semaphores": [{"database": {"key": "seats"}}]},
	    "container": {"image": "x", "command": ["sh", "-c", ` + string(b) + `]}}]}}}`
}

type lockEventLine struct {
	Result struct {
		Items []locks.View `json:"items"`
		Time  time.Time    `json:"time"`
	} `json:"result"`
}

// openLockStream reads sync-events as SSE, as a browser's EventSource.
func openLockStream(t *testing.T, ctx context.Context, hc *http.Client, url, token string) <-chan lockEventLine {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan lockEventLine, 1024)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var l lockEventLine
			if json.Unmarshal([]byte(data), &l) == nil {
				out <- l
			}
		}
	}()
	return out
}

// next waits for an event whose lock key matches with cond true.
func next(t *testing.T, events <-chan lockEventLine, key string, within time.Duration, cond func(locks.View) bool) locks.View {
	t.Helper()
	deadline := time.After(within)
	var last locks.View
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("lock stream ended; last view of %s %+v", key, last)
			}
			for _, v := range ev.Result.Items {
				if v.Lock == key {
					last = v
					if cond(v) {
						return v
					}
				}
			}
		case <-deadline:
			t.Fatalf("no event within %s; last view of %s %+v", within, key, last)
		}
	}
}

// The lock stream shows holders and waiters in grant order with their
// details, moves the next waiter to holders when the holder finishes,
// keeps to the namespace asked for, and ends its goroutines with the
// request.
func TestSyncEventsFollowsTheQueue(t *testing.T) {
	c, srv := lockAPI(t, []server.Token{{Value: adminToken}, {Value: teamAToken, Namespaces: []string{"team-a"}}})
	srv.StartLockFeed()
	gate := gateDir(t)
	for _, ns := range []string{"team-a", "team-b"} {
		if code, body := c.do(adminToken, "POST", "/api/v1/sync/"+ns, `{"key": "seats", "limit": 1, "type": "DATABASE"}`); code != 200 {
			t.Fatalf("create the limit: %d %s", code, body)
		}
	}
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	before := goleak.IgnoreCurrent()
	ctx, cancel := context.WithCancel(t.Context())
	events := openLockStream(t, ctx, hc, c.base+"/api/v1/sync-events?namespace=team-a", teamAToken)
	if code, _ := c.do(teamAToken, "GET", "/api/v1/sync-events", ""); code != 403 {
		t.Errorf("team-a's token without ?namespace=: %d, want 403", code)
	}
	key := "team-a/Database/seats"
	var v locks.View
	for _, w := range []struct{ ns, name string }{{"team-a", "one"}, {"team-b", "other"}, {"team-a", "two"}, {"team-a", "three"}} {
		if code, body := c.do(adminToken, "POST", "/api/v1/workflows/"+w.ns, gatedWorkflow(w.ns, w.name, gate)); code != 200 {
			t.Fatalf("submit %s: %d %s", w.name, code, body)
		}
		if w.ns == "team-a" {
			// One at a time, so the queue's order is the submission's.
			v = next(t, events, key, 30*time.Second, func(v locks.View) bool {
				return len(v.Holders)+len(v.Waiters) == map[string]int{"one": 1, "two": 2, "three": 3}[w.name]
			})
		}
	}
	if len(v.Holding) != 1 || len(v.Queue) != 2 {
		t.Fatalf("view %+v, want one holder and two waiters", v)
	}
	h := v.Holding[0]
	if h.Workflow != "one" || h.Token == 0 || h.Since == nil || time.Since(*h.Since) > time.Minute || h.NodeID == "" || h.NodeName != "one" {
		t.Errorf("holder %+v, want workflow one's node with a token and since", h)
	}
	if v.Queue[0].Workflow != "two" || v.Queue[0].Position != 1 || v.Queue[1].Workflow != "three" || v.Queue[1].Position != 2 {
		t.Errorf("queue %+v, want two then three", v.Queue)
	}
	if v.Storage != "database" || v.Key != "seats" || v.Limit != 1 {
		t.Errorf("lock %+v", v.ViewDetail)
	}
	if err := os.WriteFile(filepath.Join(gate, "one"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	released := time.Now()
	v = next(t, events, key, 30*time.Second, func(v locks.View) bool { return len(v.Holding) == 1 && v.Holding[0].Workflow == "two" })
	t.Logf("two holds %s after the gate opened", time.Since(released).Round(time.Millisecond))
	if len(v.Queue) != 1 || v.Queue[0].Workflow != "three" || v.Queue[0].Position != 1 {
		t.Errorf("queue after the release %+v, want three first", v.Queue)
	}
	// The history has points for the chart; another namespace's lock is
	// not in team-a's.
	code, body := c.do(teamAToken, "GET", "/api/v1/sync-history?namespace=team-a", "")
	var hist struct {
		Items []struct {
			Lock   string
			Points []struct{ T, Holders, Waiters int64 }
		}
	}
	if err := json.Unmarshal([]byte(body), &hist); code != 200 || err != nil || len(hist.Items) != 1 ||
		hist.Items[0].Lock != key || len(hist.Items[0].Points) < 2 {
		t.Errorf("history: %d %s", code, body)
	}
	cancel()
	for range events { // the reader ends with the request
	}
	hc.CloseIdleConnections()
	// The steps' supervision goroutines are the executor's, started
	// after before; they end with the workflows.
	goleak.VerifyNone(t, before, goleak.IgnoreAnyFunction("github.com/semaflow/semaflow/internal/executor.(*Local).read"),
		goleak.IgnoreAnyFunction("github.com/semaflow/semaflow/internal/executor.(*outbox).write"))
}

// sync-status answers the new detail beside its old fields.
func TestSyncStatusHasDetail(t *testing.T) {
	c, _ := lockAPI(t, []server.Token{{Value: adminToken}})
	gate := gateDir(t)
	if code, body := c.do(adminToken, "POST", "/api/v1/sync/team-a", `{"key": "seats", "limit": 1, "type": "DATABASE"}`); code != 200 {
		t.Fatalf("create the limit: %d %s", code, body)
	}
	if code, body := c.do(adminToken, "POST", "/api/v1/workflows/team-a", gatedWorkflow("team-a", "mine", gate)); code != 200 {
		t.Fatalf("submit: %d %s", code, body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := c.do(adminToken, "GET", "/api/v1/sync-status?namespace=team-a", "")
		var out struct{ Items []locks.View }
		_ = json.Unmarshal([]byte(body), &out)
		if code == 200 && len(out.Items) == 1 && len(out.Items[0].Holding) == 1 {
			if out.Items[0].Holding[0].Workflow != "mine" || out.Items[0].Queue == nil {
				t.Fatalf("sync-status: %s", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sync-status never showed the holder: %d %s", code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
