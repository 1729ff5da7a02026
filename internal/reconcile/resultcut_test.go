package reconcile

import (
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// A step whose stdout went over the cap still succeeds, as in Argo, but
// its node says outputs.result was cut, and a withParam that cannot parse
// the cut value says why rather than only "not JSON".
func TestCutResultIsVisible(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: gen
        template: gen
    - - name: use
        template: use
        arguments: {parameters: [{name: v, value: "{{item}}"}]}
        withParam: "{{steps.gen.outputs.result}}"
  - name: gen
    container: {image: x, command: [echo]}
  - name: use
    inputs: {parameters: [{name: v}]}
    container: {image: x, command: [echo, "{{inputs.parameters.v}}"]}
`, func(l Launch) outcome {
		if l.Template.Name == "gen" {
			return outcome{takes: time.Second, stdout: `["a", "b", "c`, cut: true}
		}
		return outcome{takes: time.Second}
	})
	wf := s.run()
	gen := s.node("wf[0].gen")
	if gen.Phase != wfv1.PhaseSucceeded || !strings.Contains(gen.Message, "outputs.result was cut to 256 KiB") {
		t.Fatalf("gen: phase %s, message %q\n%s", gen.Phase, gen.Message, s.dump())
	}
	if wf.Status.Phase == wfv1.PhaseSucceeded {
		t.Fatalf("a withParam over a cut value succeeded\n%s", s.dump())
	}
	use := s.node("wf[1].use")
	if !strings.Contains(use.Message, "withParam") || !strings.Contains(use.Message, "steps.gen.outputs.result") ||
		!strings.Contains(use.Message, "was cut") {
		t.Fatalf("use: message %q does not say the value was cut\n%s", use.Message, s.dump())
	}
}
