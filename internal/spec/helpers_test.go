package spec

import (
	"strings"
	"testing"
)

// lintString parses and validates one in-memory file.
func lintString(t *testing.T, src string) Diagnostics {
	t.Helper()
	f := Parse("test.yaml", []byte(strings.TrimLeft(src, "\n")), Options{})
	set := NewSet(f)
	set.Validate()
	return set.Diagnostics()
}

const wfHeader = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: t-
`
