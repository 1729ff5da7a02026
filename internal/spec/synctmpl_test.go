package spec

import (
	"testing"
)

// Templated lock names: what can be known when the lock is taken lints
// clean; anything else is an error naming the field.
func TestTemplatedLockNames(t *testing.T) {
	ok := wfHeader + `  labels: {team: a}
spec:
  entrypoint: main
  arguments: {parameters: [{name: lockname, value: db}]}
  synchronization:
    mutexes: [{name: "mutex-{{workflow.name}}"}, {name: "{{workflow.labels.team}}-{{workflow.uid}}"}]
    semaphores: [{configMapKeyRef: {name: "limits-{{workflow.namespace}}", key: "{{workflow.parameters.lockname}}"}}]
  templates:
  - name: main
    inputs: {parameters: [{name: group}]}
    synchronization:
      mutexes: [{name: "lock-{{inputs.parameters.group}}-{{workflow.parameters.lockname}}"}]
    container: {image: x, command: ["true"]}
`
	if d := lintString(t, ok); d.HasErrors() {
		t.Fatalf("resolvable lock names are errors:\n%v", d)
	}
	cases := []struct{ name, src, want string }{
		{"undeclared workflow parameter", wfHeader + `spec:
  entrypoint: main
  arguments: {parameters: [{name: lockname, value: db}]}
  synchronization:
    mutexes: [{name: "lock-{{workflow.parameters.locknme}}"}]
  templates:
  - {name: main, container: {image: x}}
`, `spec.synchronization.mutexes[0].name: {{workflow.parameters.locknme}}`},
		{"inputs at workflow level", wfHeader + `spec:
  entrypoint: main
  synchronization:
    semaphores: [{configMapKeyRef: {name: limits, key: "{{inputs.parameters.k}}"}}]
  templates:
  - {name: main, container: {image: x}}
`, `spec.synchronization.semaphores[0].configMapKeyRef.key: {{inputs.parameters.k}}`},
		{"undeclared input", wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    synchronization: {mutexes: [{name: "m-{{inputs.parameters.nope}}"}]}
    container: {image: x}
`, `spec.templates[0].synchronization.mutexes[0].name: {{inputs.parameters.nope}}`},
		{"step outputs are not known before the template runs", wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    synchronization: {mutexes: [{name: "m-{{steps.a.outputs.result}}"}]}
    steps: [[{name: a, template: leaf}]]
  - {name: leaf, container: {image: x}}
`, `spec.templates[0].synchronization.mutexes[0].name: {{steps.a.outputs.result}}`},
		{"unknown variable", wfHeader + `spec:
  entrypoint: main
  synchronization:
    mutexes: [{name: "m-{{workflow.nmae}}"}]
  templates:
  - {name: main, container: {image: x}}
`, `spec.synchronization.mutexes[0].name: {{workflow.nmae}}`},
		{"unknown label", wfHeader + `spec:
  entrypoint: main
  synchronization:
    mutexes: [{name: "m-{{workflow.labels.team}}"}]
  templates:
  - {name: main, container: {image: x}}
`, `spec.synchronization.mutexes[0].name: {{workflow.labels.team}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			diags := lintString(t, c.src)
			found := false
			for _, d := range diags {
				if d.Severity == SeverityError && matchDiag(d, c.want) {
					found = true
				}
			}
			if !found {
				t.Fatalf("want an error %q, got:\n%v", c.want, diags)
			}
		})
	}
}
