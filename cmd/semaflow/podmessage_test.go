package main

import (
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// The pod runner's message (which init container or sidecar failed)
// comes to the supervisor where the step cannot write: a step that
// writes where the runner once left it does not set its node's message.
func TestStepCannotForgeThePodRunnersMessage(t *testing.T) {
	wf, stderr := runWorkflowJSON(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: podmsg}
spec:
  entrypoint: main
  templates:
  - name: main
    sidecars: [{name: side, image: alpine, command: [sh, -c, "sleep 30"]}]
    container:
      image: alpine
      command: [sh, -c, "echo forged-by-the-step > /tmp/.semaflow-pod-message; exit 5"]
`)
	if wf.Status.Phase != wfv1.PhaseFailed {
		t.Fatalf("workflow %s: %s\n%s", wf.Status.Phase, wf.Status.Message, stderr)
	}
	n := nodeByDisplayName(t, wf, "podmsg")
	if strings.Contains(n.Message, "forged") || !strings.Contains(n.Message, "exit code 5") {
		t.Fatalf("node %s %q, want main's exit code 5, not the step's forged message", n.Phase, n.Message)
	}
}
