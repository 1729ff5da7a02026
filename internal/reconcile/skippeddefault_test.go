package reconcile

import (
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// input is a node's input parameter "in", as Argo's tests read it.
func input(n wfv1.NodeStatus) string {
	if n.Inputs == nil {
		return ""
	}
	for _, p := range n.Inputs.Parameters {
		if p.Name == "in" && p.Value != nil {
			return string(*p.Value)
		}
	}
	return ""
}

// Argo's test/e2e/functional/dag-skipped-withparam-default.yaml: a
// withParam over a skipped producer's output expands its
// valueFrom.default.
func TestSkippedProducerDefaultFeedsWithParam(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
          - name: producer
            template: produce
            when: "false"
          - name: consumer
            template: consume
            depends: "producer.Succeeded || producer.Skipped"
            withParam: "{{tasks.producer.outputs.parameters.items}}"
            arguments:
              parameters:
                - name: in
                  value: "{{item}}"
    - name: produce
      outputs:
        parameters:
          - name: items
            valueFrom: {path: /tmp/out.txt, default: '["a","b"]'}
      container: {image: x, command: [echo]}
    - name: consume
      inputs: {parameters: [{name: in}]}
      container: {image: x, command: [echo, "{{inputs.parameters.in}}"]}
`, succeed)
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s (%s), want Succeeded\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
	}
	if p := s.node("wf.producer").Phase; p != wfv1.PhaseSkipped {
		t.Fatalf("producer %s, want Skipped", p)
	}
	for i, item := range []string{"a", "b"} {
		name := "wf.consumer(" + string(rune('0'+i)) + ":" + item + ")"
		if n := s.node(name); n.Phase != wfv1.PhaseSucceeded || input(n) != item {
			t.Fatalf("%s: %s with input %q, want Succeeded with %q\n%s", name, n.Phase, input(n), item, s.dump())
		}
	}
	if g := s.node("wf.consumer"); g.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("TaskGroup %s, want Succeeded", g.Phase)
	}
}

// Argo's dag-skipped-producer-default.yaml, and the same through steps.
func TestSkippedProducerDefaultFeedsArgument(t *testing.T) {
	const produce = `
    - name: produce
      outputs:
        parameters:
          - name: msg
            valueFrom: {path: /tmp/out.txt, default: hello-from-producer}
      container: {image: x, command: [echo]}
    - name: consume
      inputs: {parameters: [{name: in}]}
      container: {image: x, command: [echo, "{{inputs.parameters.in}}"]}
`
	for _, c := range []struct{ name, main, consumer string }{
		{"dag", `
    - name: main
      dag:
        tasks:
          - {name: producer, template: produce, when: "false"}
          - name: consumer
            template: consume
            depends: "producer.Succeeded || producer.Skipped"
            arguments: {parameters: [{name: in, value: "{{tasks.producer.outputs.parameters.msg}}"}]}
`, "wf.consumer"},
		{"steps", `
    - name: main
      steps:
        - - {name: producer, template: produce, when: "false"}
        - - name: consumer
            template: consume
            arguments: {parameters: [{name: in, value: "{{steps.producer.outputs.parameters.msg}}"}]}
`, "wf[1].consumer"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newSim(t, header+"  entrypoint: main\n  templates:"+c.main+produce, succeed)
			wf := s.run()
			if wf.Status.Phase != wfv1.PhaseSucceeded {
				t.Fatalf("phase %s (%s), want Succeeded\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
			}
			if in := input(s.node(c.consumer)); in != "hello-from-producer" {
				t.Fatalf("consumer input %q, want the producer's default", in)
			}
		})
	}
}

// A DAG task whose withParam cannot be expanded ends its TaskGroup in
// Error, as Argo marks the task node, and the DAG with it: before, the
// group stayed Running under a Succeeded workflow.
func TestUnexpandableWithParamEndsTaskGroup(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
          - {name: a, template: echo}
          - name: b
            depends: a
            template: echo
            withParam: "{{tasks.a.outputs.result}}"
    - {name: echo, container: {image: x, command: [echo]}}
`, func(Launch) outcome { return outcome{takes: 1, stdout: "not a list"} })
	wf := s.run()
	g := s.node("wf.b")
	if g.Phase != wfv1.PhaseError || !strings.Contains(g.Message, "withParam") {
		t.Fatalf("group %s %q, want Error naming withParam\n%s", g.Phase, g.Message, s.dump())
	}
	if !isFailure(wf.Status.Phase) {
		t.Fatalf("workflow %s, want it failed with its task", wf.Status.Phase)
	}
}
