package reconcile

import (
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// A containerSet is one Pod node whose launch carries the whole set,
// placeholders substituted.
func TestContainerSetIsOnePod(t *testing.T) {
	var got *wfv1.ContainerSetTemplate
	s := newSim(t, header+`  entrypoint: set
  arguments: {parameters: [{name: who, value: world}]}
  templates:
  - name: set
    containerSet:
      containers:
      - {name: a, image: x, command: [echo, "hello {{workflow.parameters.who}}"]}
      - {name: main, image: x, command: [echo, done], dependencies: [a]}
`, func(l Launch) outcome {
		got = l.Template.ContainerSet
		return outcome{takes: time.Second, stdout: "done\n"}
	})
	wf := s.run()
	if got == nil || len(got.Containers) != 2 || got.Containers[0].Command[1] != "hello world" {
		t.Fatalf("launched %+v:\n%s", got, s.dump())
	}
	n := s.node("wf")
	if wf.Status.Phase != wfv1.PhaseSucceeded || n.Type != NodePod || n.Outputs == nil || *n.Outputs.Result != "done" {
		t.Fatalf("%s: node %s %s %+v", wf.Status.Phase, n.Type, n.Phase, n.Outputs)
	}
}
