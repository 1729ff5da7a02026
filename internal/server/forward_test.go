package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/app"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/server"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

const fwdToken = "forwarding-test-token-0123456789"

// forwardedBy is the header that marks a forwarded request.
const forwardedBy = "X-Semaflow-Forwarded-By"

// startNode runs `semaflow server --db dsn --node-name name` in this
// process, with a short lease; margin is how long other nodes' ended
// leases are waited out before their workflows are adopted.
func startNode(t *testing.T, dsn, name string, margin time.Duration) *app.App {
	t.Helper()
	a, err := app.Start(context.Background(), app.Options{Kind: app.KindServer, DB: dsn, DataDir: t.TempDir(), Self: testkit.Binary(t),
		Addr: "127.0.0.1:0", NodeName: name, Tokens: []server.Token{{Value: fwdToken}},
		LeaseTTL: 2 * time.Second, LeaseMargin: margin})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a.Engine.StopAll(true, "test over")
		_ = a.Close()
	})
	return a
}

// seen is one request a stub node received.
type seen struct {
	method, path, query, body, host string
	header                          http.Header
}

// stubNode stands for another node: it records what it is sent and
// answers with answer.
type stubNode struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newStubNode(t *testing.T, answer http.HandlerFunc) *stubNode {
	t.Helper()
	s := &stubNode{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, seen{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, body: string(b), host: r.Host, header: r.Header.Clone()})
		s.mu.Unlock()
		answer(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *stubNode) requests() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.reqs...)
}

func answerJSON(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"from":"stub"}`)
}

// recordNode records a session for node (live or ended, with addr) and a
// workflow labelled as run by it, straight in the store.
func recordNode(t *testing.T, a *app.App, node, host, addr string, live bool, wfName, phase string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	expires := now.Add(time.Hour)
	if !live {
		expires = now.Add(-time.Minute)
	}
	id := "sess-" + node
	err := a.Store.Update(ctx, func(tx store.Tx) error {
		if err := tx.OpenSession(ctx, store.Session{ID: id, Kind: "server", Node: node, Host: host, PID: 7, Addr: addr,
			Started: now.Add(-time.Hour), Expires: expires}); err != nil {
			return err
		}
		return tx.BindSession(ctx, id)
	})
	if err != nil {
		t.Fatal(err)
	}
	addWorkflow(t, a, node, wfName, phase)
}

func addWorkflow(t *testing.T, a *app.App, node, name, phase string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	err := a.Store.Update(ctx, func(tx store.Tx) error {
		if err := tx.BindSession(ctx, "sess-"+node); err != nil {
			return err
		}
		return tx.CreateWorkflow(ctx, &wfv1.Workflow{Metadata: wfv1.ObjectMeta{Namespace: "team", Name: name, UID: name + "-uid", CreationTimestamp: &now,
			Labels: map[string]string{engine.LabelNode: node}}, Status: wfv1.WorkflowStatus{Phase: phase}})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func call(t *testing.T, method, url, body string, headers map[string]string) (int, http.Header, string) {
	t.Helper()
	h := map[string]string{"Authorization": "Bearer " + fwdToken}
	for k, v := range headers {
		h[k] = v
	}
	code, hdr, b := send(t, http.DefaultClient, method, url, body, h)
	return code, hdr, string(b)
}

// A control request about a workflow another node runs goes to that node
// as it came, marked as forwarded, and its answer comes back; a browser's
// request (Origin, Content-Type) passes the target's checks.
func TestForwardControlToOwner(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	near := startNode(t, dsn, "near", time.Hour)
	far := newStubNode(t, answerJSON)
	recordNode(t, near, "far", "elsewhere", far.URL, true, "theirs", wfv1.PhaseRunning)

	cases := []struct{ method, path string }{
		{"PUT", "/api/v1/workflows/team/theirs/stop?x=1"},
		{"PUT", "/api/v1/workflows/team/theirs/terminate"},
		{"PUT", "/api/v1/workflows/team/theirs/suspend"},
		{"PUT", "/api/v1/workflows/team/theirs/resume"},
		{"DELETE", "/api/v1/workflows/team/theirs?propagationPolicy=x"},
	}
	for _, c := range cases {
		code, _, body := call(t, c.method, near.URL+c.path, `{"name":"theirs"}`,
			map[string]string{"Content-Type": "application/json", "Origin": near.URL})
		if code != 200 || body != `{"from":"stub"}` {
			t.Errorf("%s %s through near: %d %s, want the far node's answer", c.method, c.path, code, body)
		}
	}
	reqs := far.requests()
	if len(reqs) != len(cases) {
		t.Fatalf("far got %d requests, want %d", len(reqs), len(cases))
	}
	farHost := strings.TrimPrefix(far.URL, "http://")
	for i, r := range reqs {
		path, query, _ := strings.Cut(cases[i].path, "?")
		switch {
		case r.method != cases[i].method || r.path != path || r.query != query || r.body != `{"name":"theirs"}`:
			t.Errorf("far got %s %s?%s %q, want %s", r.method, r.path, r.query, r.body, cases[i].path)
		case r.header.Get("Authorization") != "Bearer "+fwdToken:
			t.Errorf("far got Authorization %q", r.header.Get("Authorization"))
		case r.header.Get(forwardedBy) != "near":
			t.Errorf("far got %s %q, want near", forwardedBy, r.header.Get(forwardedBy))
		case r.header.Get("Origin") != "":
			t.Errorf("far got Origin %q: it names the near node, which the far one refuses", r.header.Get("Origin"))
		case r.host != farHost:
			t.Errorf("far got Host %q, want its own address %s", r.host, farHost)
		}
	}
}

// A forwarded request is never forwarded again: two nodes that each think
// the other runs a workflow answer 503 instead of passing it around.
func TestForwardedRequestIsNotForwardedAgain(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	near := startNode(t, dsn, "near", time.Hour)
	far := newStubNode(t, answerJSON)
	recordNode(t, near, "far", "elsewhere", far.URL, true, "theirs", wfv1.PhaseRunning)
	for _, path := range []string{"/api/v1/workflows/team/theirs/stop", "/api/v1/workflows/team/theirs/log"} {
		method := "PUT"
		if strings.HasSuffix(path, "/log") {
			method = "GET"
		}
		code, hdr, body := call(t, method, near.URL+path, "", map[string]string{forwardedBy: "third"})
		msg := message(body)
		if code != 503 || hdr.Get("Retry-After") == "" || !strings.Contains(msg, `"third"`) || !strings.Contains(msg, "far") || !strings.Contains(msg, "near") {
			t.Errorf("%s %s marked as forwarded: %d (Retry-After %q) %s, want 503 naming third, near and far", method, path, code, hdr.Get("Retry-After"), body)
		}
	}
	if n := len(far.requests()); n != 0 {
		t.Errorf("far got %d requests, want none", n)
	}
}

// Logs kept on another node are read through it, each line as the far
// node sends it, while it goes on (logs -f); the pod path too.
func TestForwardStreamsLogs(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	near := startNode(t, dsn, "near", time.Hour)
	release := make(chan struct{}, 2) // never blocks the test
	far := newStubNode(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"result":{"content":"one","podName":"p"}}`+"\n")
		http.NewResponseController(w).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
		_, _ = io.WriteString(w, `{"result":{"content":"two","podName":"p"}}`+"\n")
	})
	recordNode(t, near, "far", "elsewhere", far.URL, true, "theirs", wfv1.PhaseRunning)

	for _, path := range []string{"/api/v1/workflows/team/theirs/log?logOptions.follow=true&podName=p", "/api/v1/workflows/team/theirs/p/log?logOptions.follow=true"} {
		req, _ := http.NewRequest("GET", near.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+fwdToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 4)
		go func() {
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		select {
		case l := <-lines:
			if !strings.Contains(l, `"one"`) {
				t.Fatalf("%s: first line %q, want the far node's", path, l)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the first line did not come through while the far node's answer goes on", path)
		}
		release <- struct{}{}
		if l := <-lines; !strings.Contains(l, `"two"`) {
			t.Errorf("%s: second line %q", path, l)
		}
		_ = resp.Body.Close()
	}
	reqs := far.requests()
	if len(reqs) != 2 || reqs[0].query != "logOptions.follow=true&podName=p" || reqs[1].path != "/api/v1/workflows/team/theirs/p/log" {
		t.Errorf("far got %+v", reqs)
	}
}

// A node whose lease ended: control requests answer 503 with Retry-After
// until another node adopts its workflows; its logs are not to be had.
// A semaflow run (live, no address) answers 409.
func TestNodeGoneOrServingNoAPI(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	near := startNode(t, dsn, "near", time.Hour)
	recordNode(t, near, "gone", "elsewhere", "http://127.0.0.1:9", false, "orphan", wfv1.PhaseRunning)
	addWorkflow(t, near, "gone", "finished", wfv1.PhaseSucceeded)
	recordNode(t, near, "runner", "elsewhere", "", true, "local", wfv1.PhaseRunning)

	for _, verb := range []string{"stop", "terminate", "suspend", "resume"} {
		code, hdr, body := call(t, "PUT", near.URL+"/api/v1/workflows/team/orphan/"+verb, "", nil)
		secs, _ := strconv.Atoi(hdr.Get("Retry-After"))
		if code != 503 || secs < 1 || secs > 30 || !strings.Contains(message(body), "lease ended") || !strings.Contains(message(body), "gone") {
			t.Errorf("%s of a workflow whose node's lease ended: %d (Retry-After %q) %s, want 503 with Retry-After", verb, code, hdr.Get("Retry-After"), body)
		}
		code, _, body = call(t, "PUT", near.URL+"/api/v1/workflows/team/local/"+verb, "", nil)
		if code != 409 || !strings.Contains(message(body), "semaflow run") {
			t.Errorf("%s of a workflow a semaflow run runs: %d %s, want 409", verb, code, body)
		}
	}
	if code, hdr, body := call(t, "DELETE", near.URL+"/api/v1/workflows/team/orphan", "", nil); code != 503 || hdr.Get("Retry-After") == "" {
		t.Errorf("delete of a workflow whose node's lease ended: %d %s, want 503 with Retry-After", code, body)
	}
	for _, name := range []string{"orphan", "finished"} {
		code, _, body := call(t, "GET", near.URL+"/api/v1/workflows/team/"+name+"/log", "", nil)
		var e struct {
			Code    int
			Message string
		}
		_ = json.Unmarshal([]byte(body), &e)
		if code != 404 || e.Code != 5 || !strings.Contains(e.Message, "the logs of workflow team/"+name+" are kept on node gone, which is not running") {
			t.Errorf("logs of %s on a node that is gone: %d %s, want 404 naming the node", name, code, body)
		}
	}
	if code, _, body := call(t, "GET", near.URL+"/api/v1/workflows/team/local/log", "", nil); code != 409 || !strings.Contains(message(body), "runner") {
		t.Errorf("logs of a workflow a semaflow run runs: %d %s, want 409", code, body)
	}
}

// A node that does not answer (killed before its lease ended): 503 with
// Retry-After, naming it. One that refuses the token: the message says
// the nodes' token files differ.
func TestForwardToUnansweringOrRefusingNode(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	near := startNode(t, dsn, "near", time.Hour)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	_ = ln.Close()
	recordNode(t, near, "dead", "elsewhere", dead, true, "stuck", wfv1.PhaseRunning)
	code, hdr, body := call(t, "PUT", near.URL+"/api/v1/workflows/team/stuck/stop", "", nil)
	if secs, _ := strconv.Atoi(hdr.Get("Retry-After")); code != 503 || secs < 1 || secs > 30 || !strings.Contains(message(body), "dead") || !strings.Contains(message(body), "did not answer") {
		t.Errorf("stop through a node whose peer does not answer: %d (Retry-After %q) %s", code, hdr.Get("Retry-After"), body)
	}

	strict := newStubNode(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		_, _ = io.WriteString(w, `{"code":16,"message":"a valid bearer token is required"}`)
	})
	recordNode(t, near, "strict", "elsewhere", strict.URL, true, "guarded", wfv1.PhaseRunning)
	code, _, body = call(t, "PUT", near.URL+"/api/v1/workflows/team/guarded/suspend", "", nil)
	if code != 401 || !strings.Contains(message(body), "--auth-token-file") || !strings.Contains(message(body), "strict") {
		t.Errorf("suspend through a node whose peer refuses the token: %d %s", code, body)
	}
}

// A node that listens on all interfaces records 0.0.0.0:PORT: on its own
// host that is reached by loopback; from another host it names nothing.
func TestForwardToUnspecifiedAddress(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	near := startNode(t, dsn, "near", time.Hour)
	far := newStubNode(t, answerJSON)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(far.URL, "http://"))
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	recordNode(t, near, "wide", host, "http://0.0.0.0:"+port, true, "here", wfv1.PhaseRunning)
	if code, _, body := call(t, "PUT", near.URL+"/api/v1/workflows/team/here/stop", "", nil); code != 200 || body != `{"from":"stub"}` {
		t.Errorf("stop through a node whose peer on this host listens on 0.0.0.0: %d %s", code, body)
	}
	recordNode(t, near, "wide-far", "another-host", "http://0.0.0.0:"+port, true, "there", wfv1.PhaseRunning)
	if code, _, body := call(t, "PUT", near.URL+"/api/v1/workflows/team/there/stop", "", nil); code != 502 || !strings.Contains(message(body), "names no host") {
		t.Errorf("stop through a node whose peer on another host listens on 0.0.0.0: %d %s", code, body)
	}
	if n := len(far.requests()); n != 1 {
		t.Errorf("the stub got %d requests, want 1", n)
	}
}
