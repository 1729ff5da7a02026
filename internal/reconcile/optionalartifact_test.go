package reconcile

import (
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Argo's test/e2e/functional/missing-steps.yaml: a template passes its
// optional input artifact, which nobody supplied, on to a step with
// `from: "{{inputs.artifacts.NAME}}"`. The step gets no artifact (its own
// input is optional too) and runs; before, the reference failed to resolve
// and the workflow failed.
func TestAbsentOptionalArtifactPassedOnWithFrom(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: step1, template: work}
    - - {name: step2, template: work}
  - name: work
    inputs:
      artifacts:
      - {name: inputFile, optional: true}
    steps:
    - - name: execute-script
        template: leaf
        arguments:
          artifacts:
          - {name: inputFile, from: "{{inputs.artifacts.inputFile}}"}
  - name: leaf
    inputs:
      artifacts:
      - {name: inputFile, optional: true, path: /tmp/inputFile}
    container: {image: x, command: [echo]}
`, succeed)
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s (%s), want Succeeded\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
	}
	if n := s.node("wf[0].step1[0].execute-script"); n.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("execute-script %s, want Succeeded", n.Phase)
	}
}

// Passed to an input that is not optional, the absent artifact fails the
// step as Argo's ProcessArgs does.
func TestAbsentOptionalArtifactToARequiredInput(t *testing.T) {
	s := newSim(t, header+`  entrypoint: work
  templates:
  - name: work
    inputs:
      artifacts:
      - {name: inputFile, optional: true}
    steps:
    - - name: execute-script
        template: leaf
        arguments:
          artifacts:
          - {name: inputFile, from: "{{inputs.artifacts.inputFile}}"}
  - name: leaf
    inputs:
      artifacts:
      - {name: inputFile, path: /tmp/inputFile}
    container: {image: x, command: [echo]}
`, succeed)
	wf := s.run()
	n := s.node("wf[0].execute-script")
	if n.Phase != wfv1.PhaseError || !strings.Contains(n.Message, "inputs.artifacts.inputFile was not supplied") {
		t.Fatalf("step %s %q, want Error: not supplied\n%s", n.Phase, n.Message, s.dump())
	}
	if !isFailure(wf.Status.Phase) {
		t.Fatalf("workflow %s, want it failed", wf.Status.Phase)
	}
}
