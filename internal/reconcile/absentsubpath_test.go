package reconcile

import (
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// An argument that uses a skipped producer's defaultless output inside
// other text (an artifact's subPath, a parameter "x-{{...}}") errors with
// Argo's absent-optional message, whatever else in the arguments is
// unresolved: Argo's dag-skipped-artifact-subpath-ref.yaml.
func TestAbsentOptionalInsideArguments(t *testing.T) {
	cases := map[string]string{
		"artifact subPath": `
            arguments:
              artifacts:
                - name: data
                  from: "{{tasks.artifact-producer.outputs.artifacts.out}}"
                  subPath: "{{tasks.param-producer.outputs.parameters.dir}}"`,
		"parameter text": `
            arguments:
              parameters:
                - name: p
                  value: "x-{{tasks.param-producer.outputs.parameters.dir}}"`,
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			for range 5 { // map order must not decide which error is reported
				s := newSim(t, header+`  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
          - name: artifact-producer
            template: produce-artifact
          - name: param-producer
            template: produce-param
            when: "false"
          - name: consumer
            template: consume
            depends: "artifact-producer && (param-producer.Succeeded || param-producer.Skipped)"`+args+`
    - name: produce-artifact
      outputs: {artifacts: [{name: out, path: /tmp/message}]}
      container: {image: x, command: [echo]}
    - name: produce-param
      outputs: {parameters: [{name: dir, valueFrom: {path: /tmp/dir.txt}}]}
      container: {image: x, command: [echo]}
    - name: consume
      inputs:
        parameters: [{name: p, default: d}]
        artifacts: [{name: data, path: /tmp/in, optional: true}]
      container: {image: x, command: [echo]}
`, succeed)
				wf := s.run()
				if wf.Status.Phase != wfv1.PhaseError {
					t.Fatalf("phase %s (%s), want Error\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
				}
				const want = "unable to substitute {{tasks.param-producer.outputs.parameters.dir}}: output is an absent optional"
				if n := s.node("wf.consumer"); n.Phase != wfv1.PhaseError || !strings.Contains(n.Message, want) {
					t.Fatalf("consumer %s %q, want Error with %q\n%s", n.Phase, n.Message, want, s.dump())
				}
			}
		})
	}
}
