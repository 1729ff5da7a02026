package spec

import (
	"strings"
	"testing"
)

// A workflow that runs a WorkflowTemplate is held to the template's
// enums: a value the template does not allow is refused at submit (it
// used to run), one it allows passes.
func TestWorkflowTemplateRefArgumentsHonourEnums(t *testing.T) {
	tmpl := `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: enumt}
spec:
  entrypoint: main
  arguments:
    parameters: [{name: env, value: staging, enum: [staging, prod]}]
  templates:
  - name: main
    container: {image: alpine, command: [echo, "{{workflow.parameters.env}}"]}
---
`
	for value, bad := range map[string]bool{"rm -rf": true, "prod": false, "{{workflow.name}}": false} {
		ds := lintString(t, tmpl+wfHeader+`spec:
  workflowTemplateRef: {name: enumt}
  arguments:
    parameters: [{name: env, value: "`+value+`"}]
`)
		found := false
		for _, d := range ds {
			if d.Severity == SeverityError && d.Path == "spec.arguments.parameters[0].value" && strings.Contains(d.Message, "not one of the allowed values") {
				found = true
			}
		}
		if found != bad {
			t.Errorf("env=%q: refused %v, want %v (%v)", value, found, bad, ds)
		}
	}
}
