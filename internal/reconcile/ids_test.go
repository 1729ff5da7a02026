package reconcile

import (
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Two steps whose node names share Argo's 32-bit node ID both run: the
// second gets another ID instead of being taken for the first. (In a
// 20,000-item loop about one run in twenty has such a pair.)
func TestNodeIDCollisionDropsNoStep(t *testing.T) {
	if NodeID("wf", "wf[0].s19829") != NodeID("wf", "wf[0].s353284") {
		t.Fatal("the test's names no longer collide")
	}
	s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: s19829, template: echo}
      - {name: s353284, template: echo}
  - name: echo
    container: {image: x, command: ["true"]}
`, succeed)
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded || len(s.order) != 2 {
		t.Fatalf("phase %s, launched %v; want both steps run\n%s", wf.Status.Phase, s.order, s.dump())
	}
	byName := map[string]wfv1.NodeStatus{}
	for _, n := range wf.Status.Nodes {
		byName[n.Name] = n
	}
	a, b := byName["wf[0].s19829"], byName["wf[0].s353284"]
	if a.ID == "" || b.ID == "" || a.ID == b.ID || a.Phase != wfv1.PhaseSucceeded || b.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("nodes %q (%s) and %q (%s)\n%s", a.ID, a.Phase, b.ID, b.Phase, s.dump())
	}
}
