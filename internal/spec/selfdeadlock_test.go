package spec

import (
	"strings"
	"testing"
)

// A mutex held while a template runs cannot be taken again by anything
// that runs inside it: the workflow's own mutex given to every template
// by templateDefaults, or a steps/DAG template's mutex also taken by a
// template it calls (directly, deeper, or through templateDefaults).
// Each waits forever; lint says so where the second lock is asked for.
func TestSelfDeadlockThroughDefaultsAndCalls(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"workflow mutex via templateDefaults", `spec:
  entrypoint: main
  synchronization: {mutexes: [{name: m}]}
  templateDefaults: {synchronization: {mutexes: [{name: m}]}}
  templates:
  - {name: main, container: {image: a}}
`, "spec.templateDefaults.synchronization.mutexes[0]: self-deadlock"},
		{"steps template and its child", `spec:
  entrypoint: main
  templates:
  - name: main
    synchronization: {mutexes: [{name: m}]}
    steps: [[{name: a, template: leaf}]]
  - {name: leaf, synchronization: {mutexes: [{name: m}]}, container: {image: a}}
`, `spec.templates[1].synchronization.mutexes[0]: self-deadlock: template "main" holds mutex default/Mutex/m while`},
		{"DAG template and a grandchild", `spec:
  entrypoint: main
  templates:
  - name: main
    synchronization: {mutexes: [{name: m}]}
    dag: {tasks: [{name: a, template: mid}]}
  - name: mid
    steps: [[{name: b, template: leaf}]]
  - {name: leaf, synchronization: {mutexes: [{name: m}]}, container: {image: a}}
`, `spec.templates[2].synchronization.mutexes[0]: self-deadlock: template "main" holds mutex default/Mutex/m while`},
		{"steps template and child via templateDefaults", `spec:
  entrypoint: main
  templateDefaults: {synchronization: {mutexes: [{name: m}]}}
  templates:
  - name: main
    steps: [[{name: a, template: leaf}]]
  - {name: leaf, container: {image: a}}
`, `spec.templateDefaults.synchronization.mutexes[0]: self-deadlock: template "main" holds mutex default/Mutex/m while`},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := lintString(t, wfHeader+c.src)
			var lines []string
			for _, x := range d {
				lines = append(lines, x.String())
			}
			if !d.HasErrors() || !strings.Contains(strings.Join(lines, "\n"), c.want) {
				t.Fatalf("want an error %q, got:\n%v", c.want, d)
			}
		})
	}
	// Different mutexes, or one child overriding the default, are fine.
	d := lintString(t, wfHeader+`spec:
  entrypoint: main
  templates:
  - name: main
    synchronization: {mutexes: [{name: m}]}
    steps: [[{name: a, template: leaf}]]
  - {name: leaf, synchronization: {mutexes: [{name: other}]}, container: {image: a}}
`)
	if d.HasErrors() {
		t.Fatalf("different mutexes reported:\n%v", d)
	}
}

// An inline template inside a steps template is reported at its own path.
func TestSelfDeadlockInline(t *testing.T) {
	d := lintString(t, wfHeader+`spec:
  entrypoint: main
  templates:
  - name: main
    synchronization: {mutexes: [{name: m}]}
    steps: [[{name: a, inline: {synchronization: {mutexes: [{name: m}]}, container: {image: a}}}]]
`)
	if len(d) == 0 || !strings.Contains(d[len(d)-1].String(), "spec.templates[0].steps[0][0].inline.synchronization.mutexes[0]: self-deadlock") {
		t.Fatalf("want the inline template's mutex reported, got %v", d)
	}
}
