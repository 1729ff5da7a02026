package spec

import (
	"strings"
	"testing"
)

// hasDiag reports whether ds holds a diagnostic of severity sev at path
// whose message contains every fragment.
func hasDiag(ds Diagnostics, sev Severity, path string, fragments ...string) bool {
	for _, d := range ds {
		if d.Severity != sev || d.Path != path {
			continue
		}
		all := true
		for _, f := range fragments {
			all = all && strings.Contains(d.Message, f)
		}
		if all {
			return true
		}
	}
	return false
}

// Argo's Go decoding (sigs.k8s.io/yaml with a typed target, what its e2e
// fixture and Go clients use) turns an unquoted number or boolean into the
// string a string field expects: `args: [exit, 1]` runs `exit 1`. semaflow
// reads it the same way, and lint warns, since `argo submit` refuses it and
// a float loses its text (1.10 becomes "1.1"). Parameter values are
// not concerned: their type takes numbers, in Argo as here.
func TestUnquotedScalarInAStringFieldIsReadAsArgoReadsIt(t *testing.T) {
	src := wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: a, args: [exit, 1, 0x10, 1.10, true]}
`
	ds := lintString(t, src)
	if ds.HasErrors() {
		t.Fatalf("Argo accepts an unquoted number in a string field; lint said:\n%v", ds)
	}
	for _, w := range []struct{ path, says string }{
		{"spec.templates[0].container.args[1]", `read as the string "1"`},
		{"spec.templates[0].container.args[2]", `read as the string "16"`},
		{"spec.templates[0].container.args[3]", `read as the string "1.1"`},
		{"spec.templates[0].container.args[4]", `read as the string "true"`},
	} {
		if !hasDiag(ds, SeverityWarning, w.path, w.says, "quote it") {
			t.Errorf("no warning at %s saying %q; lint said:\n%v", w.path, w.says, ds)
		}
	}
	f := Parse("t.yaml", []byte(src), Options{})
	wf := f.Docs[0].Workflow
	if wf == nil {
		t.Fatalf("not decoded: %v", f.AllDiags())
	}
	if got := strings.Join(wf.Spec.Templates[0].Container.Args, " "); got != "exit 1 16 1.1 true" {
		t.Errorf("args = %q, want %q", got, "exit 1 16 1.1 true")
	}
	// A list or an object where a string is expected stays an error.
	ds = lintString(t, wfHeader+`spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: a, args: [exit, [1]]}
`)
	if !hasDiag(ds, SeverityError, "spec.templates[0].container.args[1]", "expected a string, got list") {
		t.Errorf("a list in args must stay an error; lint said:\n%v", ds)
	}
}

// Go's encoding/json matches field names ignoring case, and Argo's
// controller and fixture decode with it: `valueFrom: {Parameter: x}` is
// valueFrom.parameter. semaflow reads it so, and lint warns.
func TestFieldNameInAnotherCaseIsReadAsArgoReadsIt(t *testing.T) {
	src := wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    suspend: {}
    outputs:
      parameters:
      - name: out
        valueFrom:
          Parameter: "{{inputs.parameters.x}}"
    inputs:
      parameters:
      - {name: x, value: a}
`
	ds := lintString(t, src)
	if ds.HasErrors() {
		t.Fatalf("Argo accepts valueFrom.Parameter; lint said:\n%v", ds)
	}
	if !hasDiag(ds, SeverityWarning, "spec.templates[0].outputs.parameters[0].valueFrom.Parameter", `read as "parameter"`) {
		t.Errorf("no warning for the capitalised field; lint said:\n%v", ds)
	}
	f := Parse("t.yaml", []byte(src), Options{})
	vf := f.Docs[0].Workflow.Spec.Templates[0].Outputs.Parameters[0].ValueFrom
	if vf == nil || vf.Parameter != "{{inputs.parameters.x}}" {
		t.Errorf("valueFrom = %+v, want parameter set", vf)
	}
	ds = lintString(t, wfHeader+`spec:
  entrypoint: main
  templates:
  - name: main
    suspend: {}
    outputs:
      parameters:
      - name: out
        valueFrom: {parameter: a, Parameter: b}
`)
	if !hasDiag(ds, SeverityError, "spec.templates[0].outputs.parameters[0].valueFrom.Parameter", "twice") {
		t.Errorf("the same field in two cases must be an error; lint said:\n%v", ds)
	}
}

// hooks and templateRef belong to steps, DAG tasks and (hooks) the workflow,
// not to a template. Argo's server and `argo submit` refuse them there too;
// its lenient decoders drop them, so the hook would never run. semaflow
// refuses them, and says where they go.
func TestStepFieldsOnATemplateSayWhereTheyBelong(t *testing.T) {
	ds := lintString(t, wfHeader+`spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: a}
    hooks:
      exit: {template: main}
  - name: other
    templateRef: {name: wft, template: x}
`)
	if !hasDiag(ds, SeverityError, "spec.templates[0].hooks", `unknown field "hooks"`, "a step, a DAG task or spec.hooks", "never run") {
		t.Errorf("hooks on a template: no clear error; lint said:\n%v", ds)
	}
	if !hasDiag(ds, SeverityError, "spec.templates[1].templateRef", `unknown field "templateRef"`, "a step, a DAG task or a hook", "invalid spec") {
		t.Errorf("templateRef on a template: no clear error; lint said:\n%v", ds)
	}
}
