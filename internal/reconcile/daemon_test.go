package reconcile

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// daemonForever is a daemon that would run for a day if nobody killed it.
var daemonForever = map[string]outcome{"server": {takes: 24 * time.Hour}}

// A daemon step is Running once started and lets the steps after it go
// on, reached at {{steps.X.ip}}; when its steps template ends, it is
// killed and its node ends Succeeded, as Argo's killDaemonedChildren
// marks it, and the scope ends only once it is dead.
func TestDaemonStepLetsLaterStepsRunAndDiesWithItsScope(t *testing.T) {
	var clientArgs []string
	behave := byTemplate(daemonForever)
	s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: server, template: server}
    - - name: client
        template: client
        arguments: {parameters: [{name: ip, value: "{{steps.server.ip}}"}]}
  - name: server
    daemon: true
    container: {image: x, command: [serve]}
  - name: client
    inputs: {parameters: [{name: ip}]}
    container: {image: x, command: [curl, "http://{{inputs.parameters.ip}}:8080/"]}
`, func(l Launch) outcome {
		if l.Template.Name == "client" {
			clientArgs = args(l)
		}
		return behave(l)
	})
	start := s.now
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s: %s\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
	}
	if s.now.Sub(start) > time.Hour {
		t.Fatalf("the workflow waited %v for its daemon to exit by itself", s.now.Sub(start))
	}
	if strings.Join(clientArgs, " ") != "curl http://127.0.0.1:8080/" {
		t.Fatalf("client ran %q, want the daemon's IP 127.0.0.1", clientArgs)
	}
	n := s.node("wf[0].server")
	if n.Phase != wfv1.PhaseSucceeded || n.Daemoned != nil {
		t.Fatalf("server %s daemoned=%v %q, want Succeeded and no longer daemoned", n.Phase, n.Daemoned, n.Message)
	}
	if s.runningAtDone != 0 {
		t.Fatalf("the workflow ended with %d steps still running", s.runningAtDone)
	}
}

// In a DAG the daemon is reached at {{tasks.X.ip}}, satisfies a plain
// dependency and `X.Daemoned`, and is killed when the DAG ends.
func TestDaemonTaskInDAG(t *testing.T) {
	var got []string
	behave := byTemplate(daemonForever)
	s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: server, template: server}
      - {name: a, depends: server, template: client, arguments: {parameters: [{name: ip, value: "{{tasks.server.ip}}"}]}}
      - {name: b, depends: server.Daemoned, template: client, arguments: {parameters: [{name: ip, value: "{{tasks.server.ip}}"}]}}
  - name: server
    daemon: true
    container: {image: x, command: [serve]}
  - name: client
    inputs: {parameters: [{name: ip}]}
    container: {image: x, command: [echo, "{{inputs.parameters.ip}}"]}
`, func(l Launch) outcome {
		if l.Template.Name == "client" {
			got = append(got, strings.Join(args(l), " "))
		}
		return behave(l)
	})
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded || len(got) != 2 || got[0] != "echo 127.0.0.1" || got[1] != "echo 127.0.0.1" {
		t.Fatalf("phase %s, clients %q\n%s", wf.Status.Phase, got, s.dump())
	}
	if n := s.node("wf.server"); n.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("server %s %q", n.Phase, n.Message)
	}
}

// A daemon that exits by itself fails, as Argo marks a daemoned pod that
// succeeded: a daemon must run until its scope ends.
func TestDaemonThatExitsByItselfFails(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: server, template: server}
    - - {name: wait, template: wait}
  - name: server
    daemon: true
    container: {image: x, command: [serve]}
  - name: wait
    container: {image: x, command: [sleep, "10"]}
`, byTemplate(map[string]outcome{"server": {takes: time.Second}, "wait": {takes: time.Minute}}))
	s.run()
	if n := s.node("wf[0].server"); n.Phase != wfv1.PhaseFailed {
		t.Fatalf("server %s %q, want Failed\n%s", n.Phase, n.Message, s.dump())
	}
}

// Daemons are bounded per workflow: one past the limit fails saying so.
func TestDaemonsPerWorkflowAreBounded(t *testing.T) {
	items := make([]string, 40)
	for i := range items {
		items[i] = fmt.Sprint(i)
	}
	s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: server, template: server, withItems: [`+strings.Join(items, ",")+`]}
  - name: server
    daemon: true
    container: {image: x, command: [serve]}
`, byTemplate(daemonForever))
	wf := s.run()
	failed := 0
	for _, n := range wf.Status.Nodes {
		if n.Type == NodePod && n.Phase == wfv1.PhaseError && strings.Contains(n.Message, "daemon") {
			failed++
		}
	}
	if failed != 40-32 {
		t.Fatalf("%d daemons failed for the limit, want %d\n%s", failed, 40-32, s.dump())
	}
}

// A daemon with a retryStrategy (Argo's steps-daemon-retry-strategy): the
// Retry node is daemoned while its attempt is, its IP reaches the loop
// after it, and both end Succeeded when the scope ends.
func TestDaemonWithRetryStrategy(t *testing.T) {
	var got []string
	behave := byTemplate(daemonForever)
	s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: server, template: server}
    - - name: client
        template: client
        arguments: {parameters: [{name: ip, value: "{{steps.server.ip}}"}]}
        withSequence: {count: "3"}
  - name: server
    retryStrategy: {limit: "10"}
    daemon: true
    container: {image: x, command: [serve]}
  - name: client
    inputs: {parameters: [{name: ip}]}
    container: {image: x, command: [echo, "{{inputs.parameters.ip}}"]}
`, func(l Launch) outcome {
		if l.Template.Name == "client" {
			got = append(got, strings.Join(args(l), " "))
		}
		return behave(l)
	})
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded || len(got) != 3 || got[2] != "echo 127.0.0.1" {
		t.Fatalf("phase %s: %s, clients %q\n%s", wf.Status.Phase, wf.Status.Message, got, s.dump())
	}
	for _, name := range []string{"wf[0].server", "wf[0].server(0)"} {
		if n := s.node(name); n.Phase != wfv1.PhaseSucceeded || n.Daemoned != nil {
			t.Fatalf("%s %s daemoned=%v", name, n.Phase, n.Daemoned)
		}
	}
}

// A daemon as the entrypoint is killed once ready: its scope is the
// workflow.
func TestDaemonEntrypoint(t *testing.T) {
	s := newSim(t, header+`  entrypoint: server
  templates:
  - name: server
    daemon: true
    container: {image: x, command: [serve]}
`, byTemplate(daemonForever))
	start := s.now
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded || s.now.Sub(start) > time.Hour {
		t.Fatalf("phase %s after %v\n%s", wf.Status.Phase, s.now.Sub(start), s.dump())
	}
}
