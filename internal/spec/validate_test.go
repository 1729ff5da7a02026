package spec

import (
	"fmt"
	"strings"
	"testing"
)

// Each case gives a manifest and the diagnostics it must produce, written
// as "line:col path: message fragment". A case passes only if every
// expected diagnostic is present and there are no other errors.
func TestValidationMessages(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want []string
	}{
		{"unknown field with suggestion", wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    contianer: {image: alpine}
`, []string{
			`9:5 spec.templates[0].contianer: unknown field "contianer" (did you mean "container"?)`,
			`8:5 spec.templates[0]: template "main" has no type`,
		}},
		{"unknown top-level spec field", wfHeader + `spec:
  entrypoint: main
  paralelism: 2
  templates:
  - {name: main, container: {image: a}}
`, []string{`7:3 spec.paralelism: unknown field "paralelism" (did you mean "parallelism"?)`}},
		{"a negative workflow deadline", wfHeader + `spec:
  entrypoint: main
  activeDeadlineSeconds: -5
  templates:
  - {name: main, container: {image: a}}
`, []string{`7:26 spec.activeDeadlineSeconds: activeDeadlineSeconds must not be negative, got -5`}},
		{"priority must be an integer", wfHeader + `spec:
  entrypoint: main
  priority: "high"
  templates:
  - {name: main, container: {image: a}}
`, []string{`7:13 spec.priority: expected an integer, got string "high"`}},
		{"string field given a list", wfHeader + `spec:
  entrypoint: [main]
  templates:
  - {name: main, container: {image: a}}
`, []string{`6:15 spec.entrypoint: expected a string, got list`}},
		{"duplicate key", wfHeader + `spec:
  entrypoint: main
  entrypoint: main
  templates:
  - {name: main, container: {image: a}}
`, []string{`7:3 spec.entrypoint: field "entrypoint" appears twice`}},
		{"missing entrypoint", wfHeader + `spec:
  templates:
  - {name: main, container: {image: a}}
`, []string{`spec.entrypoint: spec.entrypoint is required`}},
		{"unknown entrypoint", wfHeader + `spec:
  entrypoint: mian
  templates:
  - {name: main, container: {image: a}}
`, []string{`6:15 spec.entrypoint: template "mian" not found (did you mean "main"?)`}},
		{"duplicate template", wfHeader + `spec:
  entrypoint: main
  templates:
  - {name: main, container: {image: a}}
  - {name: main, container: {image: b}}
`, []string{`9:12 spec.templates[1].name: template name "main" is used twice`}},
		{"two template types", wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: a}
    script: {image: a, source: x}
`, []string{`8:5 spec.templates[0]: template "main" sets container and script`}},
		{"unknown step template", wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: a
        template: ech
  - {name: echo, container: {image: a}}
`, []string{`11:19 spec.templates[0].steps[0][0].template: template "ech" not found (did you mean "echo"?)`}},
		{"dag cycle", wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: a, template: echo, dependencies: [c]}
      - {name: b, template: echo, dependencies: [a]}
      - {name: c, template: echo, depends: b}
  - {name: echo, container: {image: a}}
`, []string{`11:9 spec.templates[0].dag.tasks[0]: dependency cycle: a -> c -> b -> a`}},
		{"unknown dependency", wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: build, template: echo}
      - {name: test, template: echo, dependencies: [biuld]}
  - {name: echo, container: {image: a}}
`, []string{`12:53 spec.templates[0].dag.tasks[1].dependencies[0]: unknown task "biuld" (did you mean "build"?)`}},
		{"bad depends", wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: a, template: echo}
      - {name: b, template: echo, depends: "a.Succeded ||"}
  - {name: echo, container: {image: a}}
`, []string{`spec.templates[0].dag.tasks[1].depends: invalid depends "a.Succeded ||": at offset 2: unknown result "Succeded" for task "a" (did you mean "Succeeded"?)`}},
		{"depends unknown task", wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: a, template: echo}
      - {name: b, template: echo, depends: "a && (x.Failed || a.Errored)"}
  - {name: echo, container: {image: a}}
`, []string{`spec.templates[0].dag.tasks[1].depends: unknown task "x"`}},
		{"unresolvable input parameter", wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    inputs: {parameters: [{name: message}]}
    container:
      image: a
      args: ["{{inputs.parameters.mesage}}"]
`, []string{`12:14 spec.templates[0].container.args[0]: {{inputs.parameters.mesage}} refers to input parameter "mesage", which template "main" does not declare (did you mean "message"?)`}},
		{"unresolvable workflow parameter", wfHeader + `spec:
  entrypoint: main
  arguments: {parameters: [{name: who, value: me}]}
  templates:
  - name: main
    container: {image: a, args: ["{{workflow.parameters.how}}"]}
`, []string{`spec.templates[0].container.args[0]: {{workflow.parameters.how}} refers to workflow parameter "how"`}},
		{"item outside a loop", wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: a
        template: echo
        arguments: {parameters: [{name: m, value: "{{item}}"}]}
  - {name: echo, inputs: {parameters: [{name: m}]}, container: {image: a}}
`, []string{`spec.templates[0].steps[0][0].arguments.parameters[0].value: {{item}} is used outside a loop`}},
		{"unknown step output", wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: gen, template: echo}
    - - name: use
        template: echo
        when: "{{steps.gen1.outputs.result}} == x"
  - {name: echo, container: {image: a}}
`, []string{`spec.templates[0].steps[1][0].when: {{steps.gen1.outputs.result}} refers to step "gen1", which template "main" does not have (did you mean "gen"?)`}},
		{"empty sync block", wfHeader + `spec:
  entrypoint: main
  synchronization: {}
  templates:
  - {name: main, container: {image: a}}
`, []string{`7:20 spec.synchronization: synchronization block names no lock; accepted forms: v3.6+ "semaphores:`}},
		{"misspelt sync field", wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    synchronization:
      mutexs: [{name: m}]
    container: {image: a}
`, []string{
			`10:7 spec.templates[0].synchronization.mutexs: unknown field "mutexs" (did you mean "mutexes"?)`,
			`spec.templates[0].synchronization: synchronization block names no lock; accepted forms`,
		}},
		{"semaphore without ref", wfHeader + `spec:
  entrypoint: main
  synchronization:
    semaphores: [{namespace: other}]
  templates:
  - {name: main, container: {image: a}}
`, []string{`spec.synchronization.semaphores[0]: a semaphore needs configMapKeyRef`}},
		{"duplicate lock in block", wfHeader + `spec:
  entrypoint: main
  synchronization:
    mutex: {name: db}
    mutexes: [{name: db, namespace: default}]
  templates:
  - {name: main, container: {image: a}}
`, []string{`spec.synchronization.mutexes[0]: lock default/Mutex/db is requested twice in one synchronization block (also at mutex)`}},
		{"self-deadlock mutex", wfHeader + `spec:
  entrypoint: main
  synchronization:
    mutexes: [{name: gpu}]
  templates:
  - name: main
    synchronization:
      mutexes: [{name: gpu}]
    container: {image: a}
`, []string{`12:17 spec.templates[0].synchronization.mutexes[0]: self-deadlock: the workflow holds mutex default/Mutex/gpu`}},
		{"self-deadlock semaphore of limit 1", wfHeader + `spec:
  entrypoint: main
  synchronization:
    semaphores: [{configMapKeyRef: {name: limits, key: db}}]
  templates:
  - name: main
    synchronization:
      semaphores: [{configMapKeyRef: {name: limits, key: db}}]
    container: {image: a}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: limits}
data: {db: "1"}
`, []string{`spec.templates[0].synchronization.semaphores[0]: self-deadlock: the workflow holds the only permit of semaphore default/ConfigMap/limits/db`}},
		{"configmap lacks key", wfHeader + `spec:
  entrypoint: main
  synchronization:
    semaphores: [{configMapKeyRef: {name: limits, key: gpu}}]
  templates:
  - {name: main, container: {image: a}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: limits}
data: {db: "3"}
`, []string{`8:18 spec.synchronization.semaphores[0]: semaphore default/ConfigMap/limits/gpu: ConfigMap default/limits has no key "gpu"`}},
		{"configmap limit not an integer", wfHeader + `spec:
  entrypoint: main
  synchronization:
    semaphores: [{configMapKeyRef: {name: limits, key: db}, namespace: team}]
  templates:
  - {name: main, container: {image: a}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: limits, namespace: team}
data: {db: "three"}
`, []string{`spec.synchronization.semaphores[0]: semaphore team/ConfigMap/limits/db: ConfigMap team/limits key "db" is not a non-negative integer`}},
		{"bad duration", wfHeader + `spec:
  entrypoint: main
  templates:
  - {name: main, timeout: "ten minutes", container: {image: a}}
`, []string{`spec.templates[0].timeout: invalid duration "ten minutes"`}},
		{"unknown kind", `apiVersion: argoproj.io/v1alpha1
kind: Workflw
metadata: {name: x}
`, []string{`2:7 kind: unsupported kind "Workflw" (did you mean "Workflow"?)`}},
		{"malformed yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
spec:
  templates:
  - name: "unterminated
`, []string{`malformed YAML`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			diags := lintString(t, tc.src)
			matched := make([]bool, len(diags))
			for _, want := range tc.want {
				found := false
				for i, d := range diags {
					if matchDiag(d, want) {
						found, matched[i] = true, true
					}
				}
				if !found {
					t.Errorf("missing diagnostic %q\ngot:\n%s", want, diags.Error())
				}
			}
			for i, d := range diags {
				if !matched[i] && d.Severity == SeverityError {
					t.Errorf("unexpected error: %s", d)
				}
			}
		})
	}
}

// matchDiag compares a diagnostic with "line:col path: fragment", where the
// position and the path are optional.
func matchDiag(d Diagnostic, want string) bool {
	rest := want
	var line, col int
	if n, _ := fmt.Sscanf(want, "%d:%d ", &line, &col); n == 2 {
		if d.Pos.Line != line || d.Pos.Col != col {
			return false
		}
		_, rest, _ = strings.Cut(want, " ")
	}
	if path, msg, ok := strings.Cut(rest, ": "); ok && !strings.Contains(path, " ") {
		return d.Path == path && strings.Contains(d.Message, msg)
	}
	return strings.Contains(d.Message, rest)
}

func TestSingularSyncIsAWarningNotAnError(t *testing.T) {
	diags := lintString(t, wfHeader+`spec:
  entrypoint: main
  synchronization:
    semaphore: {configMapKeyRef: {name: limits, key: wf}}
  templates:
  - name: main
    synchronization:
      mutex: {name: m}
    container: {image: a}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: limits}
data: {wf: "2"}
`)
	if diags.HasErrors() {
		t.Fatalf("singular form must be accepted:\n%s", diags.Error())
	}
	_, warns := diags.Count()
	if warns != 2 {
		t.Fatalf("want 2 deprecation warnings, got:\n%s", diags.Error())
	}
	for _, d := range diags {
		if !strings.Contains(d.Message, "deprecated") {
			t.Errorf("unexpected warning: %s", d)
		}
	}
}

func TestLockKeysMergeBothForms(t *testing.T) {
	f := Parse("t.yaml", []byte(wfHeader+`spec:
  entrypoint: main
  synchronization:
    semaphore: {configMapKeyRef: {name: cm, key: a}}
    mutex: {name: x/y}
    semaphores:
    - configMapKeyRef: {name: cm, key: b}
      namespace: other
    - database: {key: workflow}
    mutexes:
    - {name: z, database: true}
  templates:
  - {name: main, container: {image: a}}
`), Options{Namespace: "team"})
	wf := f.Docs[0].Workflow
	var got []string
	for _, l := range LockKeys(wf.Spec.Synchronization, wf.Metadata.Namespace) {
		got = append(got, l.Key)
	}
	want := []string{"team/ConfigMap/cm/a", "team/Mutex/x/y", "other/ConfigMap/cm/b", "team/Database/workflow", "team/DatabaseMutex/z"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("lock keys:\n got %v\nwant %v", got, want)
	}
}

func TestBadInputNeverPanicsAndHasLocation(t *testing.T) {
	huge := strings.Repeat("a", DefaultMaxSize+1)
	nested := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	bomb := "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n" +
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n" +
		"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n" +
		"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nkind: Workflow\napiVersion: argoproj.io/v1alpha1\n"
	for name, src := range map[string]string{
		"huge":   huge,
		"binary": "\x00\x01\x02garbage\xff",
		"nested": nested,
		"bomb":   bomb,
		"scalar": "just a string",
		"list":   "- a\n- b\n",
		"tabs":   "kind:\tWorkflow\n\tspec: x",
	} {
		t.Run(name, func(t *testing.T) {
			diags := lintString(t, src)
			if !diags.HasErrors() {
				t.Fatalf("expected an error for %s input", name)
			}
			for _, d := range diags {
				if d.File != "test.yaml" || d.Message == "" {
					t.Errorf("diagnostic without file or message: %+v", d)
				}
			}
		})
	}
}

func TestParseDurationArgoForms(t *testing.T) {
	for in, ok := range map[string]bool{"30": true, "30s": true, "1h30m": true, "-5": false, "soon": false, "": false} {
		_, err := ParseDuration(in)
		if (err == nil) != ok {
			t.Errorf("ParseDuration(%q) error = %v, want ok=%v", in, err, ok)
		}
	}
}
