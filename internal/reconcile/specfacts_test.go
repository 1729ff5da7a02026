package reconcile

import (
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
	"sigs.k8s.io/yaml"
)

// Starts are news to other nodes when a hook may fire on them or a
// daemon's dependents wait for them, or when a template from elsewhere
// may hold either.
func TestStartsMayBeNews(t *testing.T) {
	for _, c := range []struct {
		name, spec string
		want       bool
	}{
		{"plain", `{entrypoint: m, templates: [{name: m, container: {image: x}}]}`, false},
		{"exit hook only", `{entrypoint: m, hooks: {exit: {template: m}}, templates: [{name: m, container: {image: x}}]}`, false},
		{"workflow expression hook", `{entrypoint: m, hooks: {r: {expression: "true", template: m}}, templates: [{name: m, container: {image: x}}]}`, true},
		{"step expression hook", `{entrypoint: m, templates: [{name: m, steps: [[{name: a, template: c, hooks: {running: {expression: "x", template: c}}}]]}, {name: c, container: {image: x}}]}`, true},
		{"daemon", `{entrypoint: m, templates: [{name: m, daemon: true, container: {image: x}}]}`, true},
		{"daemon by default", `{entrypoint: m, templateDefaults: {daemon: true}, templates: [{name: m, container: {image: x}}]}`, true},
		{"inline daemon in a dag", `{entrypoint: m, templates: [{name: m, dag: {tasks: [{name: a, inline: {daemon: true, container: {image: x}}}]}}]}`, true},
		{"templateRef", `{entrypoint: m, templates: [{name: m, steps: [[{name: a, templateRef: {name: t, template: c}}]]}]}`, true},
		{"unresolved workflowTemplateRef", `{workflowTemplateRef: {name: t}}`, true},
	} {
		var spec wfv1.WorkflowSpec
		if err := yaml.Unmarshal([]byte(c.spec), &spec); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := StartsMayBeNews(&wfv1.Workflow{Spec: spec}); got != c.want {
			t.Errorf("%s: StartsMayBeNews %v, want %v", c.name, got, c.want)
		}
	}
}
