package reconcile

import (
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// outParam is a node's output parameter name, "" when it is absent.
func outParam(n wfv1.NodeStatus, name string) string {
	if n.Outputs == nil {
		return ""
	}
	for _, p := range n.Outputs.Parameters {
		if p.Name == name && p.Value != nil {
			return string(*p.Value)
		}
	}
	return ""
}

const echoValue = `
    - name: echo-value
      inputs: {parameters: [{name: message}]}
      container: {image: x, command: [echo]}
      outputs:
        parameters:
          - name: dummy-output
            value: '{{inputs.parameters.message}}'
`

// A container's output parameter with a literal `value` is the template's
// value after substitution (Argo's executor reads only valueFrom.path and
// reports the rest of the template's outputs as they are), and a fan-out
// of Retry nodes aggregates each one's outputs (its last attempt's), as
// Argo's parameter-aggregation-{dag,steps}-with-retry.yaml expect.
func TestPodOutputValueAggregatesThroughRetry(t *testing.T) {
	cases := map[string]string{
		"dag": `
    - name: main
      dag:
        tasks:
          - name: echo-list
            template: echo-value
            arguments: {parameters: [{name: message, value: '{{item}}'}]}
            withItems: [1, 2, 3]
      outputs:
        parameters:
          - name: agg
            valueFrom: {parameter: '{{tasks.echo-list.outputs.parameters.dummy-output}}'}
`,
		"steps": `
    - name: main
      steps:
        - - name: echo-list
            template: echo-value
            arguments: {parameters: [{name: message, value: '{{item}}'}]}
            withItems: [1, 2, 3]
      outputs:
        parameters:
          - name: agg
            valueFrom: {parameter: '{{steps.echo-list.outputs.parameters.dummy-output}}'}
`,
	}
	for name, main := range cases {
		for _, retry := range []string{"", "  retryStrategy: {limit: 1}\n"} {
			t.Run(name+map[bool]string{true: "/retry", false: ""}[retry != ""], func(t *testing.T) {
				s := newSim(t, header+retry+"  entrypoint: main\n  templates:"+echoValue+main, succeed)
				wf := s.run()
				if wf.Status.Phase != wfv1.PhaseSucceeded {
					t.Fatalf("phase %s (%s), want Succeeded\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
				}
				top := "wf"
				if retry != "" {
					top = "wf(0)"
				}
				if got := outParam(s.node(top), "agg"); got != `["1","2","3"]` {
					t.Fatalf("%s outputs.parameters.agg = %q, want [\"1\",\"2\",\"3\"]\n%s", top, got, s.dump())
				}
			})
		}
	}
}
