package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

type serverProc struct {
	cmd  *exec.Cmd
	url  string
	out  *bufio.Scanner
	done chan error
}

// startServer runs the built binary as a server on a free loopback port.
func startServer(t *testing.T, args ...string) *serverProc {
	t.Helper()
	return startServerTo(t, os.Stderr, args...)
}

// startServerTo is startServer with the server's stderr going to stderr.
func startServerTo(t *testing.T, stderr io.Writer, args ...string) *serverProc {
	t.Helper()
	return startServerIn(t, "", stderr, args...)
}

// startServerIn is startServerTo with the server working in dir ("": the test's).
func startServerIn(t *testing.T, dir string, stderr io.Writer, args ...string) *serverProc {
	t.Helper()
	return startServerOf(t, binary, dir, stderr, args...)
}

// startServerOf is startServerIn with another semaflow binary.
func startServerOf(t *testing.T, bin, dir string, stderr io.Writer, args ...string) *serverProc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"server", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProc{cmd: cmd, out: bufio.NewScanner(stdout), done: make(chan error, 1)}
	if !p.out.Scan() {
		t.Fatal("server printed nothing")
	}
	m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(p.out.Text())
	if m == nil {
		t.Fatalf("no address in %q", p.out.Text())
	}
	p.url = m[1]
	go func() {
		for p.out.Scan() {
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return p
}

func (p *serverProc) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("server exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not stop on SIGTERM")
	}
}

func httpDo(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

func wfPhase(t *testing.T, url, name string) string {
	_, out := httpDo(t, "GET", url+"/api/v1/workflows/default/"+name, "", "")
	st, _ := out["status"].(map[string]any)
	p, _ := st["phase"].(string)
	return p
}

// SIGTERM stops the server while a step runs; the step goes on under its
// supervisor, and the next server on the same database finishes the
// workflow without running the step again.
func TestServerRestartKeepsRunningStep(t *testing.T) {
	log := syncLog(t)
	db := filepath.Join(t.TempDir(), "server.db")
	s1 := startServer(t, "--db", db)
	wf := fmt.Sprintf(`{"workflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "survivor"},
	  "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "x", "command": ["sh", "-c", %q]}}]}}}`,
		recordStep(log, "survivor", "1.5"))
	if code, out := httpDo(t, "POST", s1.url+"/api/v1/workflows/default", "", wf); code != 200 {
		t.Fatalf("create: %d %v", code, out)
	}
	deadline := time.Now().Add(5 * time.Second)
	for wfPhase(t, s1.url, "survivor") != "Running" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // the step is under way
	s1.stop(t)

	s2 := startServer(t, "--db", db)
	deadline = time.Now().Add(10 * time.Second)
	for wfPhase(t, s2.url, "survivor") != "Succeeded" {
		if time.Now().After(deadline) {
			t.Fatalf("workflow %s after the restart, want Succeeded", wfPhase(t, s2.url, "survivor"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	starts := 0
	for _, e := range readLog(t, log) {
		if e.start {
			starts++
		}
	}
	if starts != 1 {
		t.Fatalf("the step started %d times, want once", starts)
	}
	s2.stop(t)
}

func TestServerRefusesOpenAddressWithoutTokens(t *testing.T) {
	out, code := run(t, "server", "--addr", "0.0.0.0:0", "--db", filepath.Join(t.TempDir(), "db"))
	if code != 1 || !strings.Contains(out, "not a loopback address") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	tokens := writeFile(t, "tokens", "# team tokens\ns3cret\nteam-a a,shared\n")
	s := startServer(t, "--db", filepath.Join(t.TempDir(), "db"), "--auth-token-file", tokens)
	if code, _ := httpDo(t, "GET", s.url+"/api/v1/version", "", ""); code != 401 {
		t.Fatalf("no token: %d, want 401", code)
	}
	if code, _ := httpDo(t, "GET", s.url+"/api/v1/version", "wrong", ""); code != 401 {
		t.Fatalf("wrong token: %d, want 401", code)
	}
	if code, _ := httpDo(t, "GET", s.url+"/api/v1/version", "s3cret", ""); code != 200 {
		t.Fatalf("good token: %d, want 200", code)
	}
	if code, _ := httpDo(t, "GET", s.url+"/metrics", "s3cret", ""); code != 200 {
		t.Fatalf("metrics with a good token: %d, want 200", code)
	}
	if code, _ := httpDo(t, "GET", s.url+"/metrics", "", ""); code != 401 {
		t.Fatalf("metrics without a token: %d, want 401", code)
	}
	// A token scoped to namespaces a and shared.
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/api/v1/workflows/a", 200},
		{"GET", "/api/v1/workflows/shared", 200},
		{"GET", "/api/v1/workflows/b", 403},
		{"GET", "/api/v1/workflow-events/b", 403},
		{"GET", "/api/v1/sync-status", 403},
		{"GET", "/metrics", 403},
		{"POST", "/api/v1/cluster-workflow-templates", 403},
		{"GET", "/api/v1/cluster-workflow-templates", 200},
		{"GET", "/api/v1/version", 200},
	} {
		if code, out := httpDo(t, c.method, s.url+c.path, "team-a", ""); code != c.want {
			t.Errorf("scoped token, %s %s: %d, want %d (%s)", c.method, c.path, code, c.want, out)
		}
	}
	s.stop(t)
}

// submittedName is the workflow of submit's "NAME submitted" line (a
// warning naming the images comes before it).
func submittedName(t *testing.T, out string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^(\S+) submitted$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("submit printed no \"NAME submitted\" line:\n%s", out)
	}
	return m[1]
}

// The CLI verbs against a real server: submit --watch, list, get, apply
// (a live limit change), terminate and delete.
func TestCLIAgainstServer(t *testing.T) {
	s := startServer(t, "--db", filepath.Join(t.TempDir(), "db"))
	t.Setenv("SEMAFLOW_SERVER", s.url)
	out, code := run(t, "submit", "--watch", "-p", "message=hi", "../../examples/hello-world.yaml")
	if code != 0 || !strings.Contains(out, "Succeeded") {
		t.Fatalf("submit --watch: exit %d\n%s", code, out)
	}
	name := submittedName(t, out)
	if out, code := run(t, "list", "-o", "name"); code != 0 || strings.TrimSpace(out) != name {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	if out, code := run(t, "get", name); code != 0 || !strings.Contains(out, "Status:     Succeeded") {
		t.Fatalf("get: exit %d\n%s", code, out)
	}
	locked := writeFile(t, "locked.yaml", `apiVersion: v1
kind: ConfigMap
metadata: {name: limits}
data: {k: "1"}
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: locked-}
spec:
  entrypoint: main
  synchronization: {semaphores: [{configMapKeyRef: {name: limits, key: k}}]}
  templates:
  - {name: main, container: {image: x, command: [sleep, "30"]}}
`)
	var names []string
	for range 3 {
		out, code := run(t, "submit", locked)
		if code != 0 {
			t.Fatalf("submit: exit %d\n%s", code, out)
		}
		names = append(names, submittedName(t, out))
	}
	running := func() int {
		n := 0
		for _, name := range names {
			if wfPhase(t, s.url, name) == "Running" {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(5 * time.Second)
	for running() != 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := running(); got != 1 {
		t.Fatalf("%d running under limit 1", got)
	}
	raised := writeFile(t, "raise.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: limits}\ndata: {k: \"3\"}\n")
	if out, code := run(t, "apply", "-f", raised); code != 0 || !strings.Contains(out, "ConfigMap/limits applied") {
		t.Fatalf("apply: exit %d\n%s", code, out)
	}
	deadline = time.Now().Add(2 * time.Second)
	for running() != 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := running(); got != 3 {
		t.Fatalf("%d running after raising the limit to 3", got)
	}
	if out, code := run(t, append([]string{"terminate"}, names...)...); code != 0 {
		t.Fatalf("terminate: exit %d\n%s", code, out)
	}
	if out, code := run(t, append([]string{"delete"}, names...)...); code != 0 {
		t.Fatalf("delete: exit %d\n%s", code, out)
	}
	if out, code := run(t, "get", names[0]); code != 1 || !strings.Contains(out, "HTTP 404") {
		t.Fatalf("get after delete: exit %d\n%s", code, out)
	}
	s.stop(t)
}

// Steps of a server see PATH and the like, not what the server's operator
// keeps in its environment; --inherit-env gives them all of it.
func TestServerStepsDoNotSeeItsEnvironment(t *testing.T) {
	t.Setenv("SEMAFLOW_TEST_SECRET", "s3cret")
	t.Setenv("HOME", "/home-of-the-server")
	wf := writeFile(t, "env.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: env}\nspec:\n  entrypoint: main\n  templates:\n"+
		"  - {name: main, container: {image: x, command: [sh, -c, 'echo secret=${SEMAFLOW_TEST_SECRET:-none}; echo home=$HOME']}}\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "secret=none"},
		{[]string{"--inherit-env"}, "secret=s3cret"},
	} {
		s := startServer(t, append([]string{"--db", filepath.Join(t.TempDir(), "db")}, c.args...)...)
		t.Setenv("SEMAFLOW_SERVER", s.url)
		mustRun(t, 0, "submit", "--watch", wf)
		out := mustRun(t, 0, "logs", "env")
		if !strings.Contains(out, c.want) || !strings.Contains(out, "home=/home-of-the-server") {
			t.Errorf("server %v: step saw\n%s\nwant %q and a HOME", c.args, out, c.want)
		}
		s.stop(t)
	}
}
