package reconcile

import (
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/spec"
)

// A loop whose items each write a large output parameter (the hostile
// test's 200 × 250 KB) fails its workflow once the outputs kept pass
// max-output-bytes, naming the limit, instead of growing the workflow's
// status (and the server) without bound.
func TestOutputBytesOverLimitFailsWorkflow(t *testing.T) {
	big := strings.Repeat("x", 250_000)
	s := newSim(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: outs}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: gen
        template: gen
        withSequence: {count: "200"}
    - - name: use
        template: use
        arguments: {parameters: [{name: all, value: "{{steps.gen.outputs.parameters}}"}]}
  - name: gen
    container: {image: x, command: ["true"]}
    outputs: {parameters: [{name: p, valueFrom: {path: /tmp/p}}]}
  - name: use
    inputs: {parameters: [{name: all}]}
    container: {image: x, command: ["true"]}
`, func(l Launch) outcome {
		if l.Template.Name == "use" {
			t.Fatalf("step %s ran with the aggregate", l.NodeName)
		}
		return outcome{takes: time.Second, outputs: map[string]string{"p": big}}
	})
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseFailed && wf.Status.Phase != wfv1.PhaseError ||
		!strings.Contains(wf.Status.Message, "max-output-bytes") {
		t.Fatalf("phase %s, message %q; want it to fail naming max-output-bytes", wf.Status.Phase, wf.Status.Message)
	}
	kept := 0
	for _, n := range wf.Status.Nodes {
		if n.Outputs != nil {
			for _, p := range n.Outputs.Parameters {
				if p.Value != nil {
					kept += len(*p.Value)
				}
			}
		}
	}
	if limit := spec.DefaultLimits.MaxOutputBytes; kept > limit {
		t.Errorf("the status keeps %d bytes of output parameters, over the limit of %d", kept, limit)
	}
}
