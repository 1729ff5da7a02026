package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// freePort is a TCP port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func needPython(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 serves the test's HTTP daemon; none on this host")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is the test's client; none on this host")
	}
}

// A daemon step (an HTTP server) is ready once its readinessProbe
// passes, a later step reaches it at {{steps.server.ip}}, and it is killed
// with its whole process group when its steps template ends: the step
// after that template finds the port closed, its node ends Succeeded as
// in Argo, and no process of it is left.
func TestDaemonStepReachedThenKilled(t *testing.T) {
	needPython(t)
	port := freePort(t)
	wf, stderr := runWorkflowJSON(t, fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: daemon}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: inner, template: inner}
    - - {name: after, template: closed}
  - name: inner
    steps:
    - - {name: server, template: server}
    - - name: client
        template: client
        arguments: {parameters: [{name: ip, value: "{{steps.server.ip}}"}]}
  - name: server
    daemon: true
    container:
      image: python:3
      command: [sh, -c, "python3 -m http.server %[1]d --bind 127.0.0.1; : daemon-marker-%[1]d"]
      readinessProbe:
        httpGet: {path: /, port: %[1]d}
        periodSeconds: 1
  - name: client
    inputs: {parameters: [{name: ip}]}
    container:
      image: curlimages/curl
      command: [sh, -c, "curl -sf -o /dev/null http://{{inputs.parameters.ip}}:%[1]d/ && echo reached {{inputs.parameters.ip}}"]
  - name: closed
    container:
      image: curlimages/curl
      command: [sh, -c, "if curl -s -o /dev/null http://127.0.0.1:%[1]d/; then echo still-up; exit 1; fi; echo closed"]
`, port))
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("workflow %s: %s\n%s", wf.Status.Phase, wf.Status.Message, stderr)
	}
	client := nodeByDisplayName(t, wf, "client")
	if client.Outputs == nil || client.Outputs.Result == nil || *client.Outputs.Result != "reached 127.0.0.1" {
		t.Fatalf("client: %s %q %+v", client.Phase, client.Message, client.Outputs)
	}
	server := nodeByDisplayName(t, wf, "server")
	if server.Phase != wfv1.PhaseSucceeded || server.Daemoned != nil {
		t.Fatalf("server: %s daemoned=%v %q", server.Phase, server.Daemoned, server.Message)
	}
	if after := nodeByDisplayName(t, wf, "after"); after.Outputs == nil || after.Outputs.Result == nil || *after.Outputs.Result != "closed" {
		t.Fatalf("the daemon outlived its scope: after %s %+v", after.Phase, after.Outputs)
	}
	if left := processesMentioning(fmt.Sprintf("daemon-marker-%d", port)); len(left) > 0 {
		t.Fatalf("daemon processes left: %v", left)
	}
	if left := processesMentioning(fmt.Sprintf("http.server\x00%d", port)); len(left) > 0 {
		t.Fatalf("daemon processes left: %v", left)
	}
}

// A sidecar starts before the main container, which reaches it on
// 127.0.0.1, and is killed (its whole process group) when main ends; the
// step's result is main's.
func TestSidecarStartedAndKilled(t *testing.T) {
	needPython(t)
	port := freePort(t)
	wf, stderr := runWorkflowJSON(t, fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: sidecar}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: with-sidecar, template: with-sidecar}
    - - {name: after, template: closed}
  - name: with-sidecar
    container:
      image: curlimages/curl
      command: [sh, -c, "until curl -sf -o /dev/null http://127.0.0.1:%[1]d/; do sleep 0.2; done; echo reached"]
    sidecars:
    - name: web
      image: python:3
      command: [sh, -c, "python3 -m http.server %[1]d --bind 127.0.0.1; : sidecar-marker-%[1]d"]
  - name: closed
    container:
      image: curlimages/curl
      command: [sh, -c, "if curl -s -o /dev/null http://127.0.0.1:%[1]d/; then echo still-up; exit 1; fi; echo closed"]
`, port))
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("workflow %s: %s\n%s", wf.Status.Phase, wf.Status.Message, stderr)
	}
	n := nodeByDisplayName(t, wf, "with-sidecar")
	if n.Outputs == nil || n.Outputs.Result == nil || *n.Outputs.Result != "reached" {
		t.Fatalf("with-sidecar: %s %q %+v", n.Phase, n.Message, n.Outputs)
	}
	if after := nodeByDisplayName(t, wf, "after"); after.Outputs == nil || after.Outputs.Result == nil || *after.Outputs.Result != "closed" {
		t.Fatalf("the sidecar outlived its main container: after %s %+v", after.Phase, after.Outputs)
	}
	if left := processesMentioning(fmt.Sprintf("sidecar-marker-%d", port)); len(left) > 0 {
		t.Fatalf("sidecar processes left: %v", left)
	}
}

// Init containers run in order before the main container; one that fails
// fails the step, named in its message, and nothing after it runs.
func TestInitContainersInOrderAndOneFailing(t *testing.T) {
	wf, stderr := runWorkflowJSON(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: inits}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: ordered, template: ordered}
      - {name: broken, template: broken}
  - name: ordered
    initContainers:
    - {name: one, image: alpine, command: [sh, -c, "echo one >> order.txt"]}
    - {name: two, image: alpine, command: [sh, -c, "sleep 0.2; echo two >> order.txt"]}
    container: {image: alpine, command: [cat, order.txt]}
  - name: broken
    initContainers:
    - {name: fine, image: alpine, command: ["true"]}
    - {name: bad, image: alpine, command: [sh, -c, "exit 3"]}
    - {name: never, image: alpine, command: [sh, -c, "echo never-ran"]}
    container: {image: alpine, command: [sh, -c, "echo main-ran"]}
`)
	if wf.Status.Phase != wfv1.PhaseFailed {
		t.Fatalf("workflow %s (want Failed: broken fails): %s\n%s", wf.Status.Phase, wf.Status.Message, stderr)
	}
	ordered := nodeByDisplayName(t, wf, "ordered")
	if ordered.Phase != wfv1.PhaseSucceeded || ordered.Outputs == nil || ordered.Outputs.Result == nil || *ordered.Outputs.Result != "one\ntwo" {
		t.Fatalf("ordered: %s %q %+v", ordered.Phase, ordered.Message, ordered.Outputs)
	}
	broken := nodeByDisplayName(t, wf, "broken")
	if broken.Phase != wfv1.PhaseFailed || !strings.Contains(broken.Message, "bad") || !strings.Contains(broken.Message, "exit code 3") {
		t.Fatalf("broken: %s %q", broken.Phase, broken.Message)
	}
	if broken.Outputs != nil && broken.Outputs.Result != nil && strings.Contains(*broken.Outputs.Result, "ran") {
		t.Fatalf("a container after the failed init container ran: %q", *broken.Outputs.Result)
	}
}

// A daemon a restarted server adopted (after a crash) is still killed
// when its scope ends: its node ends Succeeded, the workflow goes on, and
// none of its processes is left.
func TestAdoptedDaemonKilledWhenItsScopeEnds(t *testing.T) {
	// The daemon writes "up" to mark; the step after it waits for "go".
	mark, secs := syncLog(t), uniqueSleep(t)
	db := filepath.Join(t.TempDir(), "t.db")
	s1 := startServer(t, "--db", db)
	wf := `{"workflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "d"},
	  "spec": {"entrypoint": "main", "templates": [
	    {"name": "main", "steps": [[{"name": "server", "template": "server"}], [{"name": "gate", "template": "gate"}]]},
	    {"name": "server", "daemon": true, "container": {"image": "x", "command": ["sh", "-c", "echo up >> ` + mark + `; sleep ` + secs + `"]}},
	    {"name": "gate", "container": {"image": "x", "command": ["sh", "-c", "while ! grep -q go ` + mark + `; do sleep 0.1; done; echo through"]}}]}}}`
	if code, out := httpDo(t, "POST", s1.url+"/api/v1/workflows/default", "", wf); code != 200 {
		t.Fatalf("create: %d %v", code, out)
	}
	awaitFile(t, mark, 10*time.Second)
	// The gate step runs only once the daemon is daemoned.
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, out := httpDo(t, "GET", s1.url+"/api/v1/workflows/default/d", "", "")
		if strings.Contains(fmt.Sprint(out["status"]), "gate") {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the step after the daemon never started: %v", out["status"])
		}
	}
	_ = s1.cmd.Process.Kill()
	if err := <-s1.done; err == nil {
		t.Fatal("the server exited cleanly after SIGKILL")
	}
	s2 := startServer(t, "--db", db)
	if len(processesMentioning("sleep\x00"+secs)) == 0 {
		t.Fatal("the daemon did not survive the restart")
	}
	f, err := os.OpenFile(mark, os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString("go\n")
		_ = f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	waitPhase(t, s2.url, "d", "Succeeded", 30*time.Second)
	if left := processesMentioning("sleep\x00" + secs); len(left) > 0 {
		t.Fatalf("the workflow ended with its daemon still running: %v", left)
	}
	_, out := httpDo(t, "GET", s2.url+"/api/v1/workflows/default/d", "", "")
	st, _ := out["status"].(map[string]any)
	nodes, _ := st["nodes"].(map[string]any)
	for _, n := range nodes {
		n := n.(map[string]any)
		if n["type"] == "Pod" && n["phase"] != "Succeeded" {
			t.Errorf("step node %v, want Succeeded", n)
		}
	}
	s2.stop(t)
}
