package spec

import (
	"strings"
	"testing"
)

// Template, step and task names are held to Argo's shape (letters,
// digits and '-', at most 128): a '/', '..', a newline or a '.' reached
// node names, references and terminals as written.
func TestLintTemplateStepAndTaskNames(t *testing.T) {
	long := strings.Repeat("a", 129)
	for _, bad := range []string{"../../etc", `a\nb`, "ünï", "t/../x", "a.b", "a_b", "-a", long} {
		for _, c := range []struct{ where, src string }{
			{"spec.templates[0].name", `  entrypoint: "` + bad + `"
  templates:
  - name: "` + bad + `"
    container: {image: alpine, command: ["true"]}
`},
			{"spec.templates[0].steps[0][0].name", `  entrypoint: main
  templates:
  - name: main
    steps: [[{name: "` + bad + `", template: w}]]
  - {name: w, container: {image: alpine, command: ["true"]}}
`},
			{"spec.templates[0].dag.tasks[0].name", `  entrypoint: main
  templates:
  - name: main
    dag: {tasks: [{name: "` + bad + `", template: w}]}
  - {name: w, container: {image: alpine, command: ["true"]}}
`},
		} {
			ds := lintString(t, wfHeader+"spec:\n"+c.src)
			found := false
			for _, d := range ds {
				if d.Severity == SeverityError && d.Path == c.where &&
					(strings.Contains(d.Message, "letters, digits and '-'") || strings.Contains(d.Message, "more than 128")) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s %q: no error at %s: %v", c.where, bad, c.where, ds)
			}
		}
	}
	if ds := lintString(t, wfHeader+`spec:
  entrypoint: Main-1
  templates:
  - name: Main-1
    steps: [[{name: s-1, template: w}]]
  - name: w
    dag: {tasks: [{name: T2, template: x}]}
  - {name: x, container: {image: alpine, command: ["true"]}}
`); ds.HasErrors() {
		t.Errorf("valid names refused: %v", ds)
	}
}
