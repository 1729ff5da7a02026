package reconcile

import (
	"slices"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Steps and DAG nodes list their outbound nodes as Argo's
// getOutboundNodes does: a steps node the leaves of its last step group,
// a DAG those of its target tasks; a pod or skipped node is its own leaf,
// a Retry node its last attempt, a TaskGroup its children's leaves, and a
// nested steps or DAG node its own outbound nodes. Argo's TestContinueOnFail
// checks that B (a DAG that failed, continueOn) has one.
func TestOutboundNodes(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: A
            template: ok
          - name: B
            template: boom
            continueOn: {failed: true}
        - - name: C
            template: ok
          - name: D
            template: fan
          - name: E
            template: ok
            when: "false"
    - name: boom
      dag:
        tasks:
          - {name: B-1, template: fail}
    - name: fan
      dag:
        tasks:
          - {name: first, template: ok}
          - {name: each, template: retried, depends: first, withItems: [a, b]}
    - name: ok
      container: {image: x, command: [ok]}
    - name: fail
      container: {image: x, command: [fail]}
    - name: retried
      retryStrategy: {limit: 1}
      container: {image: x, command: [ok]}
`, byTemplate(map[string]outcome{"fail": {exit: 1}}))
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s (%s), want Succeeded\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
	}
	id := func(name string) string { return s.node(name).ID }
	for name, want := range map[string][]string{
		"wf[0].B": {id("wf[0].B.B-1")},
		"wf[1].D": {id("wf[1].D.each(0:a)(0)"), id("wf[1].D.each(1:b)(0)")},
		"wf":      {id("wf[1].C"), id("wf[1].D.each(0:a)(0)"), id("wf[1].D.each(1:b)(0)"), id("wf[1].E")},
	} {
		got := s.node(name).OutboundNodes
		if !slices.Equal(sorted(got), sorted(want)) {
			t.Errorf("%s outboundNodes %v, want %v\n%s", name, got, want, s.dump())
		}
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
