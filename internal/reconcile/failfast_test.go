package reconcile

import (
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// A steps or DAG template with `failFast: true` (the template's field, not
// dag.failFast) starts no new child once one of its children failed, and,
// once none of its pods still runs, fails with Argo's message: Argo's
// checkParallelism, as parallelism-{step,dag}-fail-fast.yaml expect.
const argoFailFast = "template has failed or errored children and failFast enabled"

func TestTemplateFailFast(t *testing.T) {
	const tail = `
    - name: fail
      container: {image: x, command: [fail]}
    - name: sleep
      container: {image: x, command: [sleep]}
`
	behave := byTemplate(map[string]outcome{"fail": {exit: 1}, "sleep": {takes: 5 * time.Second}})
	t.Run("steps", func(t *testing.T) {
		s := newSim(t, header+`  entrypoint: main
  templates:
    - name: main
      parallelism: 2
      failFast: true
      steps:
        - - name: step1
            template: fail
          - name: step2
            template: sleep
        - - name: after
            template: sleep
`+tail, behave)
		wf := s.run()
		if wf.Status.Phase != wfv1.PhaseFailed || wf.Status.Message != argoFailFast {
			t.Fatalf("workflow %s %q, want Failed %q\n%s", wf.Status.Phase, wf.Status.Message, argoFailFast, s.dump())
		}
		for name, want := range map[string]string{"wf[0]": wfv1.PhaseFailed, "wf[0].step1": wfv1.PhaseFailed, "wf[0].step2": wfv1.PhaseSucceeded} {
			if got := s.node(name).Phase; got != want {
				t.Fatalf("%s %s, want %s\n%s", name, got, want, s.dump())
			}
		}
		if m := s.node("wf[0]").Message; m != argoFailFast {
			t.Fatalf("wf[0] message %q, want %q", m, argoFailFast)
		}
		if strings.Contains(s.dump(), "after") {
			t.Fatalf("the next group started after a failure\n%s", s.dump())
		}
	})
	t.Run("dag", func(t *testing.T) {
		s := newSim(t, header+`  entrypoint: main
  templates:
    - name: main
      parallelism: 2
      failFast: true
      dag:
        tasks:
          - name: task1
            template: fail
          - name: task2
            template: sleep
`+tail, behave)
		wf := s.run()
		if wf.Status.Phase != wfv1.PhaseFailed || wf.Status.Message != argoFailFast {
			t.Fatalf("workflow %s %q, want Failed %q\n%s", wf.Status.Phase, wf.Status.Message, argoFailFast, s.dump())
		}
		if p := s.node("wf.task2").Phase; p != wfv1.PhaseSucceeded {
			t.Fatalf("task2 %s, want Succeeded (failFast waits for running pods)\n%s", p, s.dump())
		}
	})
	t.Run("loop", func(t *testing.T) {
		// parallelism 1: the first item fails; the others never start.
		s := newSim(t, header+`  entrypoint: main
  templates:
    - name: main
      parallelism: 1
      failFast: true
      steps:
        - - name: each
            template: fail
            withItems: [a, b, c]
`+tail, behave)
		wf := s.run()
		if wf.Status.Phase != wfv1.PhaseFailed || wf.Status.Message != argoFailFast {
			t.Fatalf("workflow %s %q, want Failed %q\n%s", wf.Status.Phase, wf.Status.Message, argoFailFast, s.dump())
		}
		if d := s.dump(); strings.Contains(d, "each(1:b)") || strings.Contains(d, "each(2:c)") {
			t.Fatalf("items started after a failure\n%s", d)
		}
	})
}
