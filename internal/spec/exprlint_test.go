package spec

import (
	"strings"
	"testing"
)

// An expression that calls a sprig function semaflow withholds (it would
// read the server's environment, or spend its CPU) is a lint error at
// the field that holds it, wherever in the spec that is; the same
// expression without it lints clean.
func TestLintRefusesWithheldSprig(t *testing.T) {
	ds := lintString(t, wfHeader+`spec:
  entrypoint: main
  arguments:
    parameters: [{name: p, value: '{{=sprig.expandenv("$HOME")}}'}]
  templates:
  - name: main
    container:
      image: alpine
      command: [echo, 'x {{=sprig.env("DB_PASSWORD")}} y', '{{=sprig.upper("fine")}}']
`)
	want := map[string]string{
		"spec.arguments.parameters[0].value":     "sprig.expandenv",
		"spec.templates[0].container.command[1]": "sprig.env",
	}
	got := map[string]string{}
	for _, d := range ds {
		if d.Severity == SeverityError {
			got[d.Path] = d.Message
		}
	}
	for path, fn := range want {
		if !strings.Contains(got[path], fn) || !strings.Contains(got[path], "server") {
			t.Errorf("%s: %q, want an error naming %s", path, got[path], fn)
		}
	}
	if len(got) != len(want) {
		t.Errorf("errors %v, want only at %v", got, want)
	}
}
