package engine_test

import (
	"strings"
	"testing"

	"github.com/semaflow/semaflow/internal/testkit"
)

// {{workflow.parameters}} and {{workflow.annotations}} of a workflow
// with an empty (not absent) list and map are null, as they were before
// the submitted copy stopped going through JSON, and as a step run after
// a restart (the workflow reloaded from the store) sees them.
func TestEmptyWorkflowParametersAndAnnotationsAreNull(t *testing.T) {
	l := testkit.Open(t, testkit.Options{})
	defer func() { _ = l.Close() }()
	wf := testkit.RunWorkflow(t, l.Engine, testkit.ParseWorkflow(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: emptyp-, annotations: {}}
spec:
  entrypoint: s
  arguments: {parameters: []}
  templates:
  - name: s
    steps:
    - - {name: a, template: t}
  - name: t
    container: {image: x, command: [echo, "P={{workflow.parameters}} A={{workflow.annotations}}"]}
`))
	var results []string
	for _, n := range wf.Status.Nodes {
		if n.Outputs != nil && n.Outputs.Result != nil {
			results = append(results, *n.Outputs.Result)
		}
	}
	if len(results) != 1 || strings.TrimSpace(results[0]) != "P=null A=null" {
		t.Fatalf("step printed %q, want [P=null A=null]", results)
	}
}
