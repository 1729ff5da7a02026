package reconcile

import (
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Argo's dag-skipped-consumer-default.yaml and steps-skipped-consumer-
// default.yaml: an argument that is only a reference to a skipped
// producer's output with no valueFrom.default counts as not supplied, so the
// consumer's own input default applies; with no default, the consumer fails
// with Argo's message instead of "failed to resolve", as does an argument
// that uses the reference inside other text.
func TestSkippedProducerWithoutDefaultLeavesTheInputDefault(t *testing.T) {
	const produce = `
    - name: produce
      outputs:
        parameters:
          - name: msg
            valueFrom: {path: /tmp/out.txt}
      container: {image: x, command: [echo]}
    - name: consume
      inputs: {parameters: [{name: in, default: fallback-from-input}]}
      container: {image: x, command: [echo, "{{inputs.parameters.in}}"]}
    - name: strict
      inputs: {parameters: [{name: in}]}
      container: {image: x, command: [echo, "{{inputs.parameters.in}}"]}
`
	for _, c := range []struct{ name, main, prefix, consumer string }{
		{"dag", `
    - name: main
      dag:
        tasks:
          - {name: producer, template: produce, when: "false"}
          - name: consumer
            template: CONSUMER
            depends: "producer.Succeeded || producer.Skipped"
            arguments: {parameters: [{name: in, value: "VALUE"}]}
`, "tasks", "wf.consumer"},
		{"steps", `
    - name: main
      steps:
        - - {name: producer, template: produce, when: "false"}
        - - name: consumer
            template: CONSUMER
            arguments: {parameters: [{name: in, value: "VALUE"}]}
`, "steps", "wf[1].consumer"},
	} {
		ref := "{{" + c.prefix + ".producer.outputs.parameters.msg}}"
		mk := func(consumer, value string) string {
			m := strings.ReplaceAll(c.main, "CONSUMER", consumer)
			return header + "  entrypoint: main\n  templates:" + strings.ReplaceAll(m, "VALUE", value) + produce
		}
		t.Run(c.name+"/input default applies", func(t *testing.T) {
			s := newSim(t, mk("consume", ref), succeed)
			wf := s.run()
			if wf.Status.Phase != wfv1.PhaseSucceeded {
				t.Fatalf("phase %s (%s), want Succeeded\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
			}
			if in := input(s.node(c.consumer)); in != "fallback-from-input" {
				t.Fatalf("consumer input %q, want its own default", in)
			}
		})
		t.Run(c.name+"/no input default", func(t *testing.T) {
			s := newSim(t, mk("strict", ref), succeed)
			wf := s.run()
			n := s.node(c.consumer)
			want := "inputs.parameters.in: argument references an absent optional (skipped/omitted node output with no default)"
			if !isFailure(n.Phase) || !strings.Contains(n.Message, want) {
				t.Fatalf("consumer %s %q, want it failed with %q\n%s", n.Phase, n.Message, want, s.dump())
			}
			if !isFailure(wf.Status.Phase) {
				t.Fatalf("workflow %s, want it failed", wf.Status.Phase)
			}
		})
		t.Run(c.name+"/not a pure reference", func(t *testing.T) {
			s := newSim(t, mk("consume", "x-"+ref), succeed)
			wf := s.run()
			// Argo's simpleReplaceStrict: a tag whose value is an absent
			// optional fails as one, wherever it stands.
			want := "unable to substitute " + ref + ": output is an absent optional"
			if n := s.node(c.consumer); !isFailure(n.Phase) || !strings.Contains(n.Message, want) {
				t.Fatalf("consumer %s %q, want it failed with %q\n%s", n.Phase, n.Message, want, s.dump())
			}
			if !isFailure(wf.Status.Phase) {
				t.Fatalf("workflow %s, want it failed", wf.Status.Phase)
			}
		})
	}
}
