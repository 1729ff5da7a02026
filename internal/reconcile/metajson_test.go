package reconcile

import (
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Argo's test/e2e/testdata/json-variables.yaml: workflow.labels.json and
// workflow.annotations.json are the workflow's labels and annotations as
// JSON objects (and workflow.labels / workflow.annotations, their older
// names), readable with jsonpath in an expression.
func TestWorkflowLabelsAndAnnotationsAsJSON(t *testing.T) {
	var args []string
	s := newSim(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: wf
  labels: {myLabel: myLabelValue}
  annotations: {myAnnotation: myAnnotationValue}
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: x
      command: [echo]
      args:
      - "{{=jsonpath(workflow.labels.json, '$.myLabel')}}"
      - "{{=jsonpath(workflow.annotations.json, '$.myAnnotation')}}"
      - "{{workflow.labels.json}}"
      - "{{workflow.annotations}}"
`, func(l Launch) outcome {
		args = l.Template.Container.Args
		return succeed(l)
	})
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s (%s), want Succeeded\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
	}
	want := `myLabelValue myAnnotationValue {"myLabel":"myLabelValue"} {"myAnnotation":"myAnnotationValue"}`
	if got := strings.Join(args, " "); got != want {
		t.Fatalf("args %q, want %q", got, want)
	}
}
