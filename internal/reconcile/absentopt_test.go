package reconcile

import (
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// absentProducer is Argo's functional fixture
// steps-skipped-withparam-ref.yaml: the producer is skipped and its output
// has no default, so the fan-out over it has nothing to expand.
const absentProducer = `  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: producer, template: produce, when: "false"}
    - - name: consumer
        template: consume
        withParam: "{{steps.producer.outputs.parameters.items}}"
        arguments: {parameters: [{name: in, value: "{{item}}"}]}
  - name: produce
    outputs: {parameters: [{name: items, valueFrom: {path: /tmp/out.txt}}]}
    container: {image: x, command: [echo]}
  - name: consume
    inputs: {parameters: [{name: in}]}
    container: {image: x, command: [echo, "{{inputs.parameters.in}}"]}
`

// As Argo: the step group errors on the absent optional before any
// consumer exists, and the workflow ends Failed.
func TestWithParamOverAbsentOptionalOutput(t *testing.T) {
	s := newSim(t, header+absentProducer, succeed)
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseFailed {
		t.Fatalf("phase %s: %s\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
	}
	if n := s.node("wf[0].producer"); n.Phase != wfv1.PhaseSkipped {
		t.Fatalf("producer %s", n.Phase)
	}
	const msg = "unable to substitute {{steps.producer.outputs.parameters.items}}: output is an absent optional (skipped/omitted node with no default)"
	var errored []string
	for _, n := range wf.Status.Nodes {
		if n.Phase == wfv1.PhaseError {
			errored = append(errored, n.Name+": "+n.Message)
		}
	}
	if len(errored) == 0 || !strings.Contains(strings.Join(errored, "\n"), msg) {
		t.Fatalf("no node errored with %q:\n%s", msg, s.dump())
	}
	if len(s.order) != 0 {
		t.Fatalf("ran %v", s.order)
	}
}

// A `when` that reads a skipped step's output with no default errors the
// same way (Argo's steps-skipped-output-ref.yaml) instead of comparing the
// placeholder's text. (A DAG task's withParam goes through the same
// expansion as a step's.)
func TestAbsentOptionalInWhen(t *testing.T) {
	const msg = "output is an absent optional (skipped/omitted node with no default)"
	cases := map[string]string{
		"steps when": `  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: job1, template: run-job}
    - - {name: job2, template: run-job, when: '"{{steps.job1.outputs.parameters.status}}" == "FAILED"'}
    - - name: handler
        template: run-job
        when: '"{{steps.job2.outputs.parameters.status}}" != "SUCCESS" && "{{steps.job1.outputs.parameters.status}}" == "SUCCESS"'
  - name: run-job
    outputs: {parameters: [{name: status, valueFrom: {path: /tmp/status.txt}}]}
    container: {image: x, command: [echo]}
`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			s := newSim(t, header+body, func(l Launch) outcome {
				return outcome{takes: 1e9, outputs: map[string]string{"status": "SUCCESS"}}
			})
			wf := s.run()
			found := false
			for _, n := range wf.Status.Nodes {
				found = found || (n.Phase == wfv1.PhaseError && strings.Contains(n.Message, msg))
			}
			if !isFailure(wf.Status.Phase) || !found {
				t.Fatalf("workflow %s %q; no node errored with %q:\n%s", wf.Status.Phase, wf.Status.Message, msg, s.dump())
			}
		})
	}
}
