package reconcile

import (
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// An expression sees a skipped producer's output that declares no default
// as nil, as Argo's expression env holds it: `??` and `?.` choose their
// fallback (Argo's skipped-output-defaults/expression-fallback.yaml). An
// expression that yields nil fails as in Argo, so the output's own
// valueFrom.default applies, or the template errors; never "".
func TestSkippedOutputIsNilInExpressions(t *testing.T) {
	for _, tc := range []struct {
		name, kind, expression, dflt string
		phase, want                  string
	}{
		{"coalesce", "tasks", "tasks.producer.outputs.parameters.msg ?? 'expr-fallback'", "", wfv1.PhaseSucceeded, "expr-fallback"},
		{"optional chain", "tasks", "tasks.producer.outputs?.parameters?.msg ?? 'chained'", "", wfv1.PhaseSucceeded, "chained"},
		{"steps", "steps", "steps.producer.outputs.parameters.msg ?? 'from-steps'", "", wfv1.PhaseSucceeded, "from-steps"},
		{"nil takes the default", "tasks", "tasks.producer.outputs.parameters.msg", "dflt", wfv1.PhaseSucceeded, "dflt"},
		{"nil without default", "tasks", "tasks.producer.outputs.parameters.msg", "", wfv1.PhaseError, "tasks.producer.outputs.parameters.msg"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `      dag:
        tasks:
          - {name: producer, template: produce, when: "false"}
`
			if tc.kind == "steps" {
				body = `      steps:
        - - {name: producer, template: produce, when: "false"}
`
			}
			dflt := ""
			if tc.dflt != "" {
				dflt = ", default: " + tc.dflt
			}
			s := newSim(t, header+`  entrypoint: main
  templates:
    - name: main
`+body+`      outputs:
        parameters:
          - name: result
            valueFrom: {expression: "`+tc.expression+`"`+dflt+`}
    - name: produce
      outputs:
        parameters:
          - name: msg
            valueFrom: {path: /tmp/out.txt}
      container: {image: x, command: [echo]}
`, succeed)
			wf := s.run()
			if wf.Status.Phase != tc.phase {
				t.Fatalf("phase %s (%s), want %s\n%s", wf.Status.Phase, wf.Status.Message, tc.phase, s.dump())
			}
			if tc.phase != wfv1.PhaseSucceeded {
				if !strings.Contains(wf.Status.Message, tc.want) {
					t.Fatalf("message %q does not name %s", wf.Status.Message, tc.want)
				}
				return
			}
			out := s.node("wf").Outputs
			if out == nil || len(out.Parameters) != 1 || out.Parameters[0].Value == nil || string(*out.Parameters[0].Value) != tc.want {
				t.Fatalf("outputs %+v, want result %q\n%s", out, tc.want, s.dump())
			}
		})
	}
}
