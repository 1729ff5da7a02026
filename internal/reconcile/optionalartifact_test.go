package reconcile

import (
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
	// Argo links a step group's last nodes to the next group.
	if n := s.node("wf[0].step1[0].execute-script"); len(n.Children) != 1 {
		t.Fatalf("execute-script children %v, want the next step group\n%s", n.Children, s.dump())
	}
}
