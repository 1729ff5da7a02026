package reconcile

import (
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Terminating a workflow while its exit handler runs kills the handler's
// step and ends every node of the handler with a final phase, as Argo's
// operator does when it walks an exit handler that already started;
// before, the workflow ended Failed with the handler's nodes Running.
func TestTerminateDuringExitHandlerEndsItsNodes(t *testing.T) {
	var s *sim
	s = newSim(t, header+`  entrypoint: main
  onExit: exit
  templates:
  - name: main
    steps:
    - - {name: a, template: quick}
  - name: exit
    steps:
    - - {name: cleanup, template: slow}
    - - {name: after, template: quick}
  - {name: quick, container: {image: x, command: ["true"]}}
  - {name: slow, container: {image: x, command: [sleep, "3600"]}}
`, func(l Launch) outcome {
		if l.Template.Name == "slow" {
			s.events = append(s.events, Event{Kind: Terminate, At: s.now})
			return outcome{takes: time.Hour}
		}
		return outcome{takes: time.Second}
	})
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseFailed || wf.Status.Message != "Stopped with strategy 'Terminate'" {
		t.Fatalf("workflow %s %q, want Failed, stopped by Terminate\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
	}
	for _, n := range wf.Status.Nodes {
		if !fulfilled(&n) {
			t.Fatalf("node %s is still %s after the workflow ended\n%s", n.Name, n.Phase, s.dump())
		}
	}
	if n := s.node("wf.onExit[0].cleanup"); n.Phase != wfv1.PhaseFailed {
		t.Fatalf("killed handler step %s, want Failed", n.Phase)
	}
	if n := s.node("wf.onExit"); n.Phase != wfv1.PhaseFailed {
		t.Fatalf("handler node %s, want Failed", n.Phase)
	}
	if s.now.Sub(*wf.Status.StartedAt) >= time.Hour {
		t.Fatalf("the workflow waited for the handler's step to end by itself")
	}
}
