package spec

import (
	"strings"
	"testing"
)

// Argo does not substitute the name of a templateRef or of a
// workflowTemplateRef: a templated one is refused by lint at the field,
// not accepted and failed at run time as a template not found.
func TestLintRefusesTemplatedTemplateRefNames(t *testing.T) {
	cases := []struct{ name, doc, path string }{
		{"step templateRef", wfHeader + `spec:
  entrypoint: main
  arguments: {parameters: [{name: t, value: x}]}
  templates:
  - name: main
    steps:
    - - {name: a, templateRef: {name: "{{workflow.parameters.t}}", template: echo, clusterScope: true}}
`, "spec.templates[0].steps[0][0].templateRef.name"},
		{"task templateRef", wfHeader + `spec:
  entrypoint: main
  arguments: {parameters: [{name: t, value: x}]}
  templates:
  - name: main
    dag:
      tasks:
      - {name: a, templateRef: {name: "lib-{{workflow.parameters.t}}", template: echo}}
`, "spec.templates[0].dag.tasks[0].templateRef.name"},
		{"workflowTemplateRef", wfHeader + `spec:
  arguments: {parameters: [{name: t, value: x}]}
  workflowTemplateRef: {name: "{{workflow.parameters.t}}"}
`, "spec.workflowTemplateRef.name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ds := lintString(t, c.doc)
			for _, d := range ds {
				if d.Severity == SeverityError && d.Path == c.path && strings.Contains(d.Message, "not templated") {
					return
				}
			}
			t.Fatalf("want an error at %s saying the name is not templated; got:\n%v", c.path, ds)
		})
	}
}
