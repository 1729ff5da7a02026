package reconcile

import (
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Argo renders workflow.parameters.json (and workflow.parameters) as the
// JSON array of spec.arguments.parameters, and workflow.labels.json /
// workflow.annotations.json as JSON objects, so jsonpath(..., '$[0].value')
// reads the first parameter's value, in a template and in a `when`.
func TestWorkflowJSONVariables(t *testing.T) {
	s := newSim(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: wf
  labels: {myLabel: myLabelValue}
  annotations: {myAnnotation: myAnnotationValue}
spec:
  entrypoint: main
  arguments:
    parameters:
    - {name: should-print, value: "true"}
    - {name: other, value: "a<b"}
  templates:
  - name: main
    steps:
    - - name: by-json
        template: echo
        when: "{{=jsonpath(workflow.parameters.json, '$[0].value') == 'true'}}"
      - name: not-by-json
        template: echo
        when: "{{=jsonpath(workflow.parameters.json, '$[1].value') == 'true'}}"
  - name: echo
    container:
      image: x
      command: [echo]
      args:
      - "{{=jsonpath(workflow.labels.json, '$.myLabel')}}"
      - "{{=jsonpath(workflow.annotations.json, '$.myAnnotation')}}"
      - "{{=jsonpath(workflow.parameters.json, '$[0].value')}}"
      - "{{workflow.parameters.json}}"
      - "{{workflow.parameters}}"
`, succeed)
	var got [][]string
	behave := s.behave
	s.behave = func(l Launch) outcome { got = append(got, args(l)); return behave(l) }
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s: %s\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
	}
	if n := s.node("wf[0].by-json"); n.Type != NodePod || n.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("by-json: %s %s %s, want it run", n.Type, n.Phase, n.Message)
	}
	if n := s.node("wf[0].not-by-json"); n.Phase != wfv1.PhaseSkipped {
		t.Fatalf("not-by-json: %s %s, want Skipped", n.Phase, n.Message)
	}
	if len(got) != 1 {
		t.Fatalf("launched %d steps, want 1", len(got))
	}
	const all = `[{"name":"should-print","value":"true"},{"name":"other","value":"a\u003cb"}]`
	want := []string{"echo", "myLabelValue", "myAnnotationValue", "true", all, all}
	if strings.Join(got[0], "\n") != strings.Join(want, "\n") {
		t.Fatalf("args\n%q\nwant\n%q", got[0], want)
	}
}
