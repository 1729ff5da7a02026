package spec

import (
	"strings"
	"testing"
)

// A template's literal activeDeadlineSeconds must be a whole number of
// seconds greater than 0 (Argo's pod is refused otherwise; semaflow used
// to run such a step with no deadline). One from a parameter is checked
// when it is resolved.
func TestLintTemplateDeadline(t *testing.T) {
	for value, bad := range map[string]bool{`0`: true, `-1`: true, `"abc"`: true, `"1.5"`: true, `5`: false, `"7"`: false, `"{{workflow.parameters.dl}}"`: false} {
		ds := lintString(t, wfHeader+`spec:
  entrypoint: main
  arguments: {parameters: [{name: dl, value: "3"}]}
  templates:
  - name: main
    activeDeadlineSeconds: `+value+`
    container: {image: alpine, command: ["true"]}
`)
		found := false
		for _, d := range ds {
			if d.Severity == SeverityError && d.Path == "spec.templates[0].activeDeadlineSeconds" && strings.Contains(d.Message, "greater than 0") {
				found = true
			}
		}
		if found != bad {
			t.Errorf("activeDeadlineSeconds: %s: error %v, want %v (%v)", value, found, bad, ds)
		}
	}
}
