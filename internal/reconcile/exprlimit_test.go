package reconcile

import (
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// An expression that would allocate gigabytes ends the workflow in Error
// naming the expression and the memory limit, before anything runs or
// the engine's memory goes: in labelsFrom and in a step's `{{=...}}`.
func TestExpressionOverMemoryLimitEndsInError(t *testing.T) {
	for _, c := range []struct{ name, meta, arg string }{
		{"labelsFrom", `labelsFrom: {big: {expression: 'sprig.repeat(1000000000, "a")'}}`, "x"},
		{"step argument", `labels: {a: b}`, `{{=len(sprig.repeat(300000000, 'a'))}}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newSim(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: big}
spec:
  workflowMetadata:
    `+c.meta+`
  entrypoint: main
  templates:
  - {name: main, container: {image: x, command: [echo, "`+c.arg+`"]}}
`, func(l Launch) outcome {
				t.Fatalf("step %s launched with %q", l.NodeName, l.Template.Container.Command)
				return outcome{takes: time.Second}
			})
			wf := s.run()
			msg := wf.Status.Message + " " + s.dump()
			if wf.Status.Phase != wfv1.PhaseError && wf.Status.Phase != wfv1.PhaseFailed ||
				!strings.Contains(msg, "sprig.repeat") || !strings.Contains(msg, "memory limit") {
				t.Fatalf("phase %s, message %q; want Error naming the expression and the memory limit", wf.Status.Phase, wf.Status.Message)
			}
		})
	}
}
