package spec

import (
	"strings"
	"testing"
)

// Fields semaflow does not honour are said by lint, never silently
// ignored: ttlStrategy (a finished workflow is kept until deleted) and
// workflowMetadata (no label or annotation is put on the workflow).
func TestLintWarnsOfUnhonouredWorkflowFields(t *testing.T) {
	ds := lintString(t, wfHeader+`spec:
  entrypoint: main
  ttlStrategy: {secondsAfterCompletion: 10, secondsAfterSuccess: 5, secondsAfterFailure: 5}
  workflowMetadata:
    labels: {team: a}
    annotations: {note: b}
    labelsFrom:
      who: {expression: workflow.name}
  templates:
  - {name: main, container: {image: x, command: ["true"]}}
`)
	for _, want := range []struct{ path, says string }{
		{"spec.ttlStrategy", "not honoured"},
		{"spec.workflowMetadata.labelsFrom", "not honoured"},
		{"spec.workflowMetadata.labels", "not honoured"},
		{"spec.workflowMetadata.annotations", "not honoured"},
	} {
		found := false
		for _, d := range ds {
			if d.Severity == SeverityWarning && d.Path == want.path && strings.Contains(d.Message, want.says) {
				found = true
			}
		}
		if !found {
			t.Errorf("no warning at %s saying %q; lint said:\n%v", want.path, want.says, ds)
		}
	}
	if ds.HasErrors() {
		t.Fatalf("a warning, not an error: the workflow still runs\n%v", ds)
	}
}
