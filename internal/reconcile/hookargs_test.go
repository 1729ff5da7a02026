package reconcile

import (
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// hookArgs is Argo's workflow-hook-parameter.yaml (functional_test.go)
// grown with an expression hook and a step hook: every hook's arguments
// are substituted, `{{=...}}` included, with workflow.status as the hook
// sees it.
const hookArgs = header + `  entrypoint: main
  hooks:
    exit:
      template: show
      arguments:
        parameters:
        - {name: a, value: '{{= workflow.status == "Succeeded" ? "Succeeded" : "Failed" }}'}
        - {name: b, value: '{{= workflow.status }}'}
        - {name: c, value: '{{workflow.status}}'}
    running:
      expression: workflow.status == "Running"
      template: show
      arguments:
        parameters:
        - {name: a, value: '{{= workflow.status }}'}
        - {name: b, value: '{{workflow.status}}'}
        - {name: c, value: '{{workflow.name}}'}
  templates:
  - name: main
    steps:
    - - name: s
        template: work
        hooks:
          exit:
            template: show
            arguments:
              parameters:
              - {name: a, value: '{{= steps.s.status }}'}
              - {name: b, value: '{{steps.s.outputs.result}}'}
              - {name: c, value: '{{= workflow.status }}'}
  - {name: work, container: {image: x, command: [echo, out]}}
  - name: show
    inputs: {parameters: [{name: a}, {name: b}, {name: c}]}
    container: {image: x, command: [echo, '{{inputs.parameters.a}}', '{{inputs.parameters.b}}', '{{inputs.parameters.c}}']}
`

func TestHookArgumentsAreEvaluated(t *testing.T) {
	for _, tc := range []struct {
		exit int
		want map[string]string
	}{
		{0, map[string]string{
			"wf.onExit":        "echo Succeeded Succeeded Succeeded",
			"wf.hooks.running": "echo Running Running wf",
			"wf[0].s.onExit":   "echo Succeeded out Running",
		}},
		{1, map[string]string{
			"wf.onExit":      "echo Failed Failed Failed",
			"wf[0].s.onExit": "echo Failed out Running",
		}},
	} {
		got := map[string]string{}
		s := newSim(t, hookArgs, func(l Launch) outcome {
			got[l.NodeName] = strings.Join(args(l), " ")
			if l.Template.Name == "work" {
				return outcome{exit: tc.exit, stdout: "out\n"}
			}
			return outcome{}
		})
		wf := s.run()
		if want := map[int]string{0: wfv1.PhaseSucceeded, 1: wfv1.PhaseFailed}[tc.exit]; wf.Status.Phase != want {
			t.Fatalf("phase %s, want %s\n%s", wf.Status.Phase, want, s.dump())
		}
		for node, want := range tc.want {
			if got[node] != want {
				t.Errorf("work exits %d: %s ran %q, want %q", tc.exit, node, got[node], want)
			}
		}
	}
}
