package reconcile

import (
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// A daemon template used as an exit handler (a step's or the
// workflow's) or a lifecycle hook would run until its scope ended, which
// waits for it: its node ends in Error before it starts, naming why, and
// the workflow ends instead of hanging (lint refuses it first; a
// WorkflowTemplate's may reach the run).
func TestDaemonAsExitHandlerOrHookNeverHangs(t *testing.T) {
	for name, src := range map[string]string{
		"workflow onExit": `  entrypoint: main
  onExit: exitd
  templates:
  - name: main
    container: {image: x, command: [true]}
  - name: exitd
    daemon: true
    container: {image: x, command: [serve]}
`,
		"step onExit and hook": `  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: a
        template: a
        onExit: exitd
        hooks:
          running: {expression: "steps.a.status == \"Running\"", template: exitd}
    - - {name: b, template: a}
  - name: a
    container: {image: x, command: [true]}
  - name: exitd
    daemon: true
    container: {image: x, command: [serve]}
`,
	} {
		t.Run(name, func(t *testing.T) {
			s := newSim(t, header+src, byTemplate(map[string]outcome{"exitd": {takes: 24 * time.Hour}, "a": {takes: time.Second}}))
			start := s.now
			wf := s.run()
			if s.now.Sub(start) > time.Hour || (wf.Status.Phase != wfv1.PhaseSucceeded && wf.Status.Phase != wfv1.PhaseFailed && wf.Status.Phase != wfv1.PhaseError) {
				t.Fatalf("phase %s after %v: the workflow waited for its daemon exit handler\n%s", wf.Status.Phase, s.now.Sub(start), s.dump())
			}
			found := false
			for _, n := range wf.Status.Nodes {
				if strings.HasSuffix(n.Name, ".onExit") || strings.Contains(n.Name, ".hooks.") {
					found = true
					if n.Phase != wfv1.PhaseError || !strings.Contains(n.Message, "daemon") {
						t.Errorf("node %s: %s %q, want Error saying a daemon cannot be a handler", n.Name, n.Phase, n.Message)
					}
				}
			}
			if !found {
				t.Fatalf("no exitd node\n%s", s.dump())
			}
		})
	}
}

// A daemon launched with a readinessProbe says what it waits for while
// its node is Pending, and says it no more once ready.
func TestDaemonWaitingForReadinessSaysSo(t *testing.T) {
	var waiting []string
	s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: server, template: server}
    - - {name: client, template: client}
  - name: server
    daemon: true
    container:
      image: x
      command: [serve]
      readinessProbe: {httpGet: {path: /healthz, port: 8080}}
  - name: client
    container: {image: x, command: [curl]}
`, byTemplate(daemonForever))
	s.onPlan = func(p *Plan, _ time.Time) {
		for _, l := range p.Start {
			if l.Template.Name == "server" {
				for _, n := range s.wf.Status.Nodes {
					if n.ID == l.NodeID {
						waiting = append(waiting, n.Message)
					}
				}
			}
		}
	}
	s.run()
	if len(waiting) != 1 || waiting[0] != "waiting for its readinessProbe: GET http://127.0.0.1:8080/healthz" {
		t.Fatalf("messages at launch %q", waiting)
	}
	if n := s.node("wf[0].server"); strings.Contains(n.Message, "waiting") {
		t.Fatalf("server still says %q once ready", n.Message)
	}
}
