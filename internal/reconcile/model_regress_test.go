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
		// A Stop while the exit handler waits for its mutex: the handler
		// was killed as a step in flight in the call that granted it,
		// then launched by the same call's walk, and its node failed
		// while its process ran.
		name: "stop while the exit handler waits for its lock",
		yaml: header + `  entrypoint: main
  hooks:
    exit: {template: l1}
  templates:
  - {name: gen, container: {image: x, command: [gen]}}
  - name: l1
    synchronization: {mutexes: [{name: m0}]}
    container: {image: x, command: [work]}
  - name: main
    steps:
    - - name: s00
        template: gen
    - - name: s10
        template: gen
        withParam: "{{steps.s00.outputs.result}}"
      - name: s11
        template: l1
        when: "{{steps.s00.status}} == Succeeded"
`,
		results:  map[string]string{"wf[0].s00": `exit=0 takes=5s stdout=["i0"]`, "wf.onExit": "exit=0 takes=1s stdout=no"},
		maxNodes: 9, maxTime: 213 * time.Second, control: Stop, after: time.Second,
	},
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
	{
		// The hook node is a child of the Retry node, and each walk takes
		// it (or the last attempt) for the attempt to assess: a succeeded
		// attempt is retried again and again, thousands of attempts.
		name: "retry with an expression hook",
		yaml: header + `  entrypoint: main
  templates:
  - {name: ok, container: {image: x, command: [echo, ok]}}
  - name: l2
    retryStrategy: {limit: 1}
    container: {image: x, command: [work]}
  - name: main
    steps:
    - - name: s00
        template: l2
        hooks:
          running: {template: ok, expression: 'steps.s00.status == "Running"'}
`,
		maxNodes: 6, maxTime: 2 * time.Minute, pending: "retry-hooks",
	},
	{
		// Stopped, the root fails and the workflow-level hook on
		// workflow.status == "Failed" turns true, but no node may start
		// while stopping: the hook never runs nor is skipped, and the
		// workflow stays Running with nothing to wait for. Argo makes it a
		// Skipped node (executeTemplate under a shutdown strategy).
		name: "stop with a workflow-level Failed hook",
		yaml: header + `  entrypoint: main
  hooks:
    failed: {template: ok, expression: 'workflow.status == "Failed"'}
  templates:
  - {name: ok, container: {image: x, command: [echo, ok]}}
  - name: main
    steps:
    - - {name: a, template: ok}
`,
		results:  map[string]string{"wf[0].a": "exit=0 takes=5s stdout=ok"},
		maxNodes: 4, maxTime: 2 * time.Minute, control: Stop, after: time.Second, pending: "hooks-shutdown",
	},
	{
		// A DAG task's withParam that cannot be resolved (its producer was
		// skipped) leaves the TaskGroup Running, with the error as its
		// message, and the DAG ends Succeeded around it.
		name: "dag withParam over a skipped producer",
		yaml: header + `  entrypoint: main
  templates:
  - {name: ok, container: {image: x, command: [echo, ok]}}
  - {name: gen, container: {image: x, command: [gen]}}
  - name: main
    dag:
      tasks:
      - {name: t0, template: gen, when: "0 == 1"}
      - {name: t1, dependencies: [t0], template: ok, withParam: "{{tasks.t0.outputs.result}}"}
`,
		maxNodes: 6, maxTime: 2 * time.Minute, pending: "dag-withparam-error",
	},
	{
		// A steps template's timeout fails and kills what runs below it,
		// but did not look below a finished step: its onExit hook went on
		// running after the workflow had ended Failed.
		name: "timeout kills a finished step's exit hook",
		yaml: header + `  entrypoint: main
  templates:
  - {name: ok, container: {image: x, command: [echo, ok]}}
  - name: s1
    timeout: "3s"
    steps:
    - - {name: a, template: ok, onExit: ok}
  - name: main
    steps:
    - - {name: s, template: s1}
`,
		results:  map[string]string{"wf[0].s[0].a.onExit": "exit=0 takes=5s stdout=ok"},
		maxNodes: 6, maxTime: 2 * time.Minute,
	},
	{
		// Terminated while the exit handler runs: its step is killed but
		// its node stays Running in a workflow that ended Failed.
		name: "terminate during the exit handler",
		yaml: header + `  entrypoint: main
  onExit: ok
  templates:
  - {name: ok, container: {image: x, command: [echo, ok]}}
  - name: main
    steps:
    - - {name: a, template: ok}
`,
		results:  map[string]string{"wf.onExit": "exit=0 takes=5s stdout=ok"},
		maxNodes: 4, maxTime: 2 * time.Minute, control: Terminate, after: 3 * time.Second, pending: "terminate-exit-handler",
	},
	{
		// templateDefaults' container is merged into the steps template
		// too, which then runs as neither: the workflow hangs Running with
		// no step. Argo keeps each template's own type (SetType).
		name: "templateDefaults with a container",
		yaml: header + `  entrypoint: main
  templateDefaults: {container: {image: y}}
  templates:
  - {name: ok, container: {image: x, command: [echo, ok]}}
  - name: main
    steps:
    - - {name: a, template: ok}
`,
		maxNodes: 3, maxTime: 2 * time.Minute, pending: "template-defaults",
	},
	{
		// Terminated as the step ends: its onExit may not start, and is
		// not made Skipped either, so the step group never finishes.
		name: "terminate as a step with onExit ends",
		yaml: header + `  entrypoint: main
  templates:
  - {name: ok, container: {image: x, command: [echo, ok]}}
  - name: main
    steps:
    - - {name: a, template: ok, onExit: ok}
`,
		maxNodes: 4, maxTime: 2 * time.Minute, control: Terminate, after: time.Second, pending: "hooks-shutdown",
	},
}

func TestModelRegressions(t *testing.T) {
	// Each pending invariant has its case, so that removing the entry once
	// the fix is in runs it.
	for key := range modelPending {
		found := false
		for _, c := range modelCases {
			found = found || c.pending == key
		}
		if !found {
			t.Errorf("modelPending[%q] has no case in modelCases", key)
		}
	}
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
