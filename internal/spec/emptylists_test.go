package spec

import (
	"strings"
	"testing"
)

// An empty steps list is dropped by the workflow copy (omitempty), leaving
// a template of no type: lint reports it at the field, with its line,
// instead of letting run end Error. `withItems: []` is no loop in Argo
// (ShouldExpand wants a non-empty list): the call runs once, as here, and
// lint warns. {{inputs.parameters}} exists only when the template declares
// an input parameter, as in Argo, so lint reports it otherwise.
func TestEmptyListsLint(t *testing.T) {
	const tmpls = "spec:\n  entrypoint: m\n  templates:\n"
	cases := []struct {
		name, body, path, want string
		severity               Severity
		line                   int
	}{
		{"empty steps", `
  - name: m
    inputs: {}
    steps: []
`, "spec.templates[0].steps", "empty: a steps template needs at least one group", SeverityError, 10},
		{"step withItems empty", `
  - name: m
    steps:
    - - name: a
        template: w
        withItems: []
  - name: w
    container: {image: x, command: [echo, hi]}
`, "spec.templates[0].steps[0][0].withItems", "runs once (as in Argo)", SeverityWarning, 12},
		{"task withItems empty", `
  - name: m
    dag:
      tasks:
      - name: a
        template: w
        withItems: []
  - name: w
    container: {image: x, command: [echo, hi]}
`, "spec.templates[0].dag.tasks[0].withItems", "runs once (as in Argo)", SeverityWarning, 13},
		{"whole input list, no inputs", `
  - name: m
    inputs: {}
    container: {image: x, command: [echo, "IP={{inputs.parameters}}"]}
`, "spec.templates[0].container.command[1]", "{{inputs.parameters}}", SeverityError, 0},
		{"whole input list, empty parameters", `
  - name: m
    inputs: {parameters: []}
    container: {image: x, command: [echo, "IP={{ inputs.parameters }}"]}
`, "spec.templates[0].container.command[1]", "declares no input parameter", SeverityError, 0},
	}
	for _, c := range cases {
		ds := lintString(t, wfHeader+tmpls+strings.TrimLeft(c.body, "\n"))
		found := false
		for _, x := range ds {
			if x.Severity == c.severity && x.Path == c.path && strings.Contains(x.Message, c.want) &&
				(c.line == 0 || x.Pos.Line == c.line) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no %s at %s (line %d) saying %q; got:\n%v", c.name, c.severity, c.path, c.line, c.want, ds)
		}
	}

	ok := lintString(t, wfHeader+tmpls+`  - name: m
    steps:
    - - name: a
        template: w
        arguments: {parameters: [{name: p, value: v}]}
        withItems: [1]
  - name: w
    inputs: {parameters: [{name: p}]}
    container: {image: x, command: [echo, "{{inputs.parameters}}", "{{inputs.parameters.p}}"]}
`)
	if ok.HasErrors() {
		t.Fatalf("valid templates: %v", ok)
	}
}
