package reconcile

import (
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Argo counts the nodes that run something (pods and suspend nodes), each
// as one unit, and only a Succeeded (or Skipped/Omitted) one as done: a
// failed pod is not progress.
func TestProgressCountsOnlySucceededWork(t *testing.T) {
	cases := []struct {
		name, body string
		want       string
	}{
		{"one failed pod", `  entrypoint: main
  templates:
  - {name: main, container: {image: x, command: ["false"]}}
`, "0/1"},
		{"continueOn: one failed, one succeeded", `  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: F, template: fail, continueOn: {failed: true}}
      - {name: P, template: ok, dependencies: [F]}
  - {name: ok, container: {image: x, command: ["true"]}}
  - {name: fail, container: {image: x, command: ["false"]}}
`, "1/2"},
		{"a retry that succeeds on its second attempt", `  entrypoint: main
  templates:
  - name: main
    retryStrategy: {limit: 2}
    container: {image: x, command: ["true"]}
`, "1/2"},
		{"a suspend node counts; a skipped step does not", `  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: wait, template: pause}
    - - {name: run, template: ok}
      - {name: never, template: ok, when: "1 == 2"}
  - {name: pause, suspend: {duration: "5s"}}
  - {name: ok, container: {image: x, command: ["true"]}}
`, "2/2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSim(t, header+c.body, func(l Launch) outcome {
				if args(l)[0] == "false" || l.NodeName == "wf(0)" {
					return outcome{exit: 1, takes: time.Second}
				}
				return outcome{takes: time.Second}
			})
			wf := s.run()
			if wf.Status.Progress != c.want {
				t.Fatalf("progress %q, want %q\n%s", wf.Status.Progress, c.want, s.dump())
			}
			if root := s.node("wf"); root.Progress != c.want {
				t.Fatalf("root node progress %q, want %q", root.Progress, c.want)
			}
		})
	}
}

// Node progress: a pod is 0/1 until it succeeds; a parent sums its
// descendants.
func TestNodeProgress(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: a, template: ok}
      - {name: b, template: fail, continueOn: {failed: true}}
  - {name: ok, container: {image: x, command: ["true"]}}
  - {name: fail, container: {image: x, command: ["false"]}}
`, byTemplate(map[string]outcome{"fail": {exit: 1}}))
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s\n%s", wf.Status.Phase, s.dump())
	}
	for name, want := range map[string]string{"wf[0].a": "1/1", "wf[0].b": "0/1", "wf[0]": "1/2", "wf": "1/2"} {
		if got := s.node(name).Progress; got != want {
			t.Errorf("%s progress %q, want %q", name, got, want)
		}
	}
}
