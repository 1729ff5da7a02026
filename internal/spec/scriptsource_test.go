package spec

import (
	"strings"
	"testing"
)

// Argo accepts a script template without source (its controller only logs
// a suggestion to use a container and runs command and args as they are):
// lint accepts it too, with that suggestion as a warning.
func TestScriptWithoutSourceIsAccepted(t *testing.T) {
	diags := lintString(t, wfHeader+`spec:
  entrypoint: main
  templates:
  - name: main
    script: {image: a, command: [echo, hi]}
`)
	if diags.HasErrors() {
		t.Fatalf("a script without source must be accepted:\n%s", diags.Error())
	}
	if _, warns := diags.Count(); warns != 1 || !strings.Contains(diags.Error(), "container") {
		t.Fatalf("want one warning suggesting a container, got:\n%s", diags.Error())
	}
}
