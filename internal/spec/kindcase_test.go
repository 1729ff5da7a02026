package spec

import (
	"strings"
	"testing"
)

// `Kind:` and `APIVersion:` are read in any case like every other field
// (Argo's Go decoding matches names in any case), with the same warning.
func TestKindInAnotherCase(t *testing.T) {
	d := lintString(t, `APIVersion: argoproj.io/v1alpha1
Kind: Workflow
metadata: {name: k}
spec:
  entrypoint: main
  templates:
  - {name: main, container: {image: a}}
`)
	var lines []string
	for _, x := range d {
		lines = append(lines, x.String())
	}
	got := strings.Join(lines, "\n")
	if d.HasErrors() || !strings.Contains(got, `field "Kind" is read as "kind"`) || !strings.Contains(got, `field "APIVersion" is read as "apiVersion"`) {
		t.Fatalf("want warnings only, naming Kind and APIVersion; got:\n%s", got)
	}
}
