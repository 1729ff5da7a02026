package reconcile

import (
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// A withParam that resolves to an empty list makes one Skipped node, as
// Argo's expandStepGroup and executeDAGTask do, with Argo's message; before,
// a step made no node at all and a task a Succeeded TaskGroup.
func TestEmptyWithParamIsASkippedNode(t *testing.T) {
	for _, c := range []struct{ name, main, node string }{
		{"steps", `
    - name: main
      steps:
        - - {name: loop, template: echo, withParam: "[]"}
        - - {name: after, template: echo}
`, "wf[0].loop"},
		{"dag", `
    - name: main
      dag:
        tasks:
          - {name: loop, template: echo, withParam: "{{workflow.parameters.list}}"}
          - {name: after, template: echo, depends: "loop.Skipped"}
`, "wf.loop"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newSim(t, header+`  entrypoint: main
  arguments: {parameters: [{name: list, value: "[]"}]}
  templates:`+c.main+`
    - {name: echo, container: {image: x, command: [echo]}}
`, succeed)
			wf := s.run()
			if wf.Status.Phase != wfv1.PhaseSucceeded {
				t.Fatalf("phase %s (%s), want Succeeded\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
			}
			n := s.node(c.node)
			if n.Type != NodeSkipped || n.Phase != wfv1.PhaseSkipped || n.Message != "Skipped, empty params" {
				t.Fatalf("%s: %s %s %q, want Skipped Skipped \"Skipped, empty params\"\n%s", c.node, n.Type, n.Phase, n.Message, s.dump())
			}
		})
	}
}

// A workflow-level hook sees workflow.status after the entrypoint's walk,
// as Argo's executeWfLifeCycleHook does: when the entrypoint ends on its
// first walk (every step skipped), a `running` hook never fires, there as
// here.
func TestRunningHookAndARootThatEndsAtOnce(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  hooks:
    running: {template: echo, expression: workflow.status == "Running"}
  templates:
    - name: main
      steps:
        - - {name: a, template: echo, when: "false"}
    - {name: echo, container: {image: x, command: [echo]}}
`, succeed)
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s (%s), want Succeeded\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
	}
	for _, n := range wf.Status.Nodes {
		if n.Type == NodePod {
			t.Fatalf("the running hook ran (%s), where Argo's would not\n%s", n.Name, s.dump())
		}
	}
}
