package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// httpTarget is the local server the http templates of these tests call.
func httpTarget(t *testing.T) *httptest.Server {
	t.Helper()
	var flaky atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		// No credentials or cookies travel with the request.
		if r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" {
			http.Error(w, "credentials sent", http.StatusBadRequest)
			return
		}
		w.Header().Set("X-Echo", r.Header.Get("X-Test"))
		fmt.Fprint(w, "hello from the target")
	})
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		var code int
		_, _ = fmt.Sscan(r.PathValue("code"), &code)
		w.WriteHeader(code)
		fmt.Fprintf(w, "status %d", code)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s", r.Method, b)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(10 * time.Second):
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte("x"), 300<<10))
	})
	mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) {
		if flaky.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "second time lucky")
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/redirect", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// runWorkflowJSON runs a workflow with `semaflow run -o json` and decodes
// the final workflow from its stdout alone.
func runWorkflowJSON(t *testing.T, manifest string, flags ...string) (*wfv1.Workflow, string) {
	t.Helper()
	path := writeFile(t, "wf.yaml", manifest)
	cmd := exec.Command(binary, append(append([]string{"run", "-o", "json"}, flags...), path)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("semaflow run: %v", err)
	}
	var wf wfv1.Workflow
	if err := json.Unmarshal(stdout.Bytes(), &wf); err != nil {
		t.Fatalf("run -o json printed no workflow (%v):\n%s\n%s", err, stdout.String(), stderr.String())
	}
	return &wf, stderr.String()
}

func nodeByDisplayName(t *testing.T, wf *wfv1.Workflow, name string) wfv1.NodeStatus {
	t.Helper()
	for _, n := range wf.Status.Nodes {
		if n.DisplayName == name && n.Type != "Retry" {
			return n
		}
	}
	t.Fatalf("no node %q", name)
	return wfv1.NodeStatus{}
}

func nodeID(t *testing.T, wf *wfv1.Workflow, name string) string {
	t.Helper()
	for id, n := range wf.Status.Nodes {
		if n.Name == name {
			return id
		}
	}
	t.Fatalf("no node named %q", name)
	return ""
}

// An http template makes a real request from the engine's side: its
// response body is the node's result, 2xx succeeds by default, and
// successCondition, timeoutSeconds, the body cap, the redirect limit and
// retryStrategy behave as the README says.
func TestHTTPTemplateAgainstLocalServer(t *testing.T) {
	srv := httpTarget(t)
	wf, stderr := runWorkflowJSON(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: http-e2e}
spec:
  entrypoint: main
  arguments:
    parameters: [{name: base, value: "`+srv.URL+`"}]
  templates:
  - name: main
    steps:
    - - {name: hello, template: hello}
      - {name: created, template: created}
      - {name: post, template: post}
      - {name: cond-false, template: cond-false, continueOn: {failed: true}}
      - {name: non2xx, template: non2xx, continueOn: {failed: true}}
      - {name: slow, template: slow, continueOn: {failed: true}}
      - {name: big, template: big, continueOn: {failed: true}}
      - {name: loop, template: loop, continueOn: {failed: true}}
      - {name: flaky, template: flaky}
    - - name: use
        template: echo
        arguments: {parameters: [{name: msg, value: "{{steps.hello.outputs.result}}"}]}
  - name: hello
    http:
      url: "{{workflow.parameters.base}}/hello"
      headers: [{name: X-Test, value: v1}]
      successCondition: 'response.statusCode == 200 && response.headers["X-Echo"][0] == "v1" && response.body contains "hello"'
  - name: created
    http:
      url: "{{workflow.parameters.base}}/status/201"
      successCondition: "response.statusCode == 201"
  - name: post
    http:
      method: POST
      url: "{{workflow.parameters.base}}/echo"
      body: "the body"
      successCondition: 'response.body == "POST the body"'
  - name: cond-false
    http:
      url: "{{workflow.parameters.base}}/hello"
      successCondition: 'response.body contains "nope"'
  - name: non2xx
    http: {url: "{{workflow.parameters.base}}/status/500"}
  - name: slow
    http: {url: "{{workflow.parameters.base}}/slow", timeoutSeconds: 1}
  - name: big
    http: {url: "{{workflow.parameters.base}}/big"}
  - name: loop
    http: {url: "{{workflow.parameters.base}}/redirect"}
  - name: flaky
    retryStrategy: {limit: 2}
    http: {url: "{{workflow.parameters.base}}/flaky"}
  - name: echo
    inputs: {parameters: [{name: msg}]}
    container: {image: alpine, command: [echo, "got: {{inputs.parameters.msg}}"]}
`)
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("workflow %s: %s\n%s", wf.Status.Phase, wf.Status.Message, stderr)
	}
	want := map[string]struct{ phase, msg, result string }{
		"hello":      {wfv1.PhaseSucceeded, "", "hello from the target"},
		"created":    {wfv1.PhaseSucceeded, "", "status 201"},
		"post":       {wfv1.PhaseSucceeded, "", "POST the body"},
		"cond-false": {wfv1.PhaseFailed, `successCondition 'response.body contains "nope"' evaluated false`, "hello from the target"},
		"non2xx":     {wfv1.PhaseFailed, "received non-2xx response code: 500", "status 500"},
		"slow":       {wfv1.PhaseFailed, "timeoutSeconds", ""},
		"big":        {wfv1.PhaseFailed, "over 262144 bytes", ""},
		"loop":       {wfv1.PhaseFailed, "redirects", ""},
		"use":        {wfv1.PhaseSucceeded, "", "got: hello from the target"},
	}
	for name, w := range want {
		n := nodeByDisplayName(t, wf, name)
		if n.Phase != w.phase || !strings.Contains(n.Message, w.msg) {
			t.Errorf("%s: %s %q, want %s with %q", name, n.Phase, n.Message, w.phase, w.msg)
		}
		if w.result != "" && (n.Outputs == nil || n.Outputs.Result == nil || *n.Outputs.Result != w.result) {
			t.Errorf("%s: outputs %+v, want result %q", name, n.Outputs, w.result)
		}
		if name != "use" && n.Type != "HTTP" {
			t.Errorf("%s: node type %q, want HTTP", name, n.Type)
		}
	}
	flaky := 0
	for _, n := range wf.Status.Nodes {
		if strings.HasPrefix(n.Name, "http-e2e[0].flaky(") {
			flaky++
		}
	}
	if n := wf.Status.Nodes[nodeID(t, wf, "http-e2e[0].flaky")]; flaky != 2 || n.Type != "Retry" || n.Phase != wfv1.PhaseSucceeded {
		t.Errorf("flaky: %d attempts, %s node %s; want 2 attempts, Retry node Succeeded", flaky, n.Type, n.Phase)
	}
}

// --http-template-allow limits where http templates may go: a loopback
// target outside the list fails the step, naming the address and the flag.
func TestHTTPTemplateAllowList(t *testing.T) {
	srv := httpTarget(t)
	manifest := `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: http-allow}
spec:
  entrypoint: get
  templates:
  - name: get
    http: {url: "` + srv.URL + `/hello"}
`
	wf, stderr := runWorkflowJSON(t, manifest, "--http-template-allow", "10.0.0.0/8")
	n := nodeByDisplayName(t, wf, "http-allow")
	if n.Phase != wfv1.PhaseFailed || !strings.Contains(n.Message, "127.0.0.1") || !strings.Contains(n.Message, "--http-template-allow") {
		t.Fatalf("outside the allow list: %s %q\n%s", n.Phase, n.Message, stderr)
	}
	wf, stderr = runWorkflowJSON(t, manifest, "--http-template-allow", "127.0.0.0/8")
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("inside the allow list: %s %s\n%s", wf.Status.Phase, wf.Status.Message, stderr)
	}
}

// A server's http templates may not reach its own host by default (its
// API trusts loopback callers); --http-template-allow opens it.
func TestServerHTTPTemplateLoopback(t *testing.T) {
	target := httpTarget(t)
	wf := writeFile(t, "wf.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: self}
spec:
  entrypoint: get
  templates:
  - {name: get, http: {url: "`+target.URL+`/hello"}}
`)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 1, "127.0.0.1 is a loopback"},
		{[]string{"--http-template-allow", "127.0.0.1"}, 0, "Succeeded"},
	} {
		s := startServer(t, append([]string{"--db", filepath.Join(t.TempDir(), "db")}, c.args...)...)
		t.Setenv("SEMAFLOW_SERVER", s.url)
		out, code := run(t, "submit", "--watch", wf)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("server %v: submit exited %d, want %d with %q:\n%s", c.args, code, c.code, c.want, out)
		}
		s.stop(t)
	}
}
