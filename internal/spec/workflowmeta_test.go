package spec

import (
	"strings"
	"testing"
)

// ttlStrategy and workflowMetadata are honoured: lint says nothing of a
// good one, and refuses what would fail at run time for sure.
func TestLintWorkflowMetadataAndTTL(t *testing.T) {
	good := lintString(t, wfHeader+`spec:
  entrypoint: main
  ttlStrategy: {secondsAfterCompletion: 10, secondsAfterSuccess: 5, secondsAfterFailure: 0}
  workflowMetadata:
    labels: {team: a, who: "{{workflow.name}}"}
    annotations: {note: "any text at all"}
    labelsFrom:
      from: {expression: workflow.name}
  templates:
  - {name: main, container: {image: x, command: ["true"]}}
`)
	for _, d := range good {
		if strings.Contains(d.Path, "ttlStrategy") || strings.Contains(d.Path, "workflowMetadata") {
			t.Errorf("lint says of a good one: %v", d)
		}
	}
	bad := lintString(t, wfHeader+`spec:
  entrypoint: main
  ttlStrategy: {secondsAfterFailure: -1}
  workflowMetadata:
    labels: {team: "a b"}
    labelsFrom:
      "bad key!": {expression: workflow.name}
      empty: {expression: ""}
  templates:
  - {name: main, container: {image: x, command: ["true"]}}
`)
	for _, want := range []struct{ path, says string }{
		{"spec.ttlStrategy.secondsAfterFailure", "negative"},
		{"spec.workflowMetadata.labels.team", "not a valid label value"},
		{"spec.workflowMetadata.labelsFrom", "bad key!"},
		{"spec.workflowMetadata.labelsFrom.empty.expression", "empty"},
	} {
		found := false
		for _, d := range bad {
			if d.Severity == SeverityError && d.Path == want.path && strings.Contains(d.Message, want.says) {
				found = true
			}
		}
		if !found {
			t.Errorf("no error at %s saying %q; lint said:\n%v", want.path, want.says, bad)
		}
	}
}
