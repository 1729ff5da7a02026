package reconcile

import (
	"testing"
	"time"
)

// modelCase is a workflow TestModel once shrank a failure to, with the
// step results it drew (by node name; a step not listed succeeds in 1s
// printing "ok").
type modelCase struct {
	name     string
	yaml     string
	results  map[string]string
	maxNodes int
	maxTime  time.Duration
	control  EventKind
	after    time.Duration
	// pending names the modelPending entry whose fix this case waits for.
	pending string
}

var modelCases = []modelCase{
	{
		// `withItems: []` is no loop in Argo (ShouldExpand: len != 0): the
		// step runs once. It was a loop of no items on the first walk and a
		// plain step after the status went through JSON (omitempty), so the
		// workflow ended Succeeded while that step ran.
		name: "empty withItems",
		yaml: header + `  entrypoint: main
  templates:
  - {name: ok, container: {image: x, command: [echo, ok]}}
  - name: main
    steps:
    - - name: s00
        template: ok
        withItems: []
    - - name: s10
        template: ok
`,
		maxNodes: 5, maxTime: 2 * time.Minute,
	},
	{
		name: "progress counts a failed step as not done",
		yaml: header + `  entrypoint: main
  templates:
  - {name: ok, container: {image: x, command: [echo, ok]}}
  - name: main
    steps:
    - - {name: a, template: ok, continueOn: {failed: true}}
      - {name: b, template: ok}
`,
		results:  map[string]string{"wf[0].a": "exit=1 takes=1s stdout=ok"},
		maxNodes: 4, maxTime: 2 * time.Minute, pending: "progress",
	},
}

func TestModelRegressions(t *testing.T) {
	for _, c := range modelCases {
		t.Run(c.name, func(t *testing.T) {
			if c.pending != "" && modelPending[c.pending] != "" {
				t.Skip(modelPending[c.pending])
			}
			behave := func(l Launch) outcome {
				s, ok := c.results[l.NodeName]
				if !ok {
					return outcome{takes: time.Second, stdout: "ok"}
				}
				o, err := parseOutcome(s)
				if err != nil {
					t.Fatal(err)
				}
				return o
			}
			w := genWorkflow{yaml: c.yaml, maxNodes: c.maxNodes, maxTime: c.maxTime, control: c.control, controlAfter: c.after}
			fail := func(format string, args ...any) { t.Helper(); t.Fatalf(format, args...) }
			first := runModel(t, w, behave)
			checkModel(fail, w, first)
			second := runModel(t, w, behave)
			if a, b := first.summary(), second.summary(); a != b {
				t.Fatalf("the same workflow with the same step results ended differently:\n%s\nthen:\n%s", a, b)
			}
		})
	}
}
