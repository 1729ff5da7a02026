package reconcile

import (
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// A deadline of 0 has passed before any node exists: the workflow must
// end at once, not stay Running with no node to finish it.
func TestZeroDeadlineEndsTheWorkflowAtOnce(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  activeDeadlineSeconds: 0
  templates:
  - {name: main, container: {image: x, command: ["true"]}}
`, succeed)
	Reconcile(s.wf, nil, s.now, s.res)
	if s.wf.Status.Phase != wfv1.PhaseFailed || !strings.Contains(s.wf.Status.Message, "deadline") {
		t.Fatalf("phase %s message %q", s.wf.Status.Phase, s.wf.Status.Message)
	}
}

// A stop or terminate that comes before the first node is made ends the
// workflow too (it used to leave it Running with nothing to end it).
func TestTerminateBeforeAnyNodeEndsTheWorkflow(t *testing.T) {
	for _, kind := range []EventKind{Stop, Terminate} {
		s := newSim(t, header+`  entrypoint: main
  templates:
  - {name: main, container: {image: x, command: ["true"]}}
`, succeed)
		Reconcile(s.wf, []Event{{Kind: kind, At: s.now}}, s.now, s.res)
		if s.wf.Status.Phase != wfv1.PhaseFailed || !strings.Contains(s.wf.Status.Message, "Stopped with strategy") {
			t.Fatalf("%v: phase %s message %q", kind, s.wf.Status.Phase, s.wf.Status.Message)
		}
	}
}
