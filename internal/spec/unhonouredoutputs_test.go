package spec

import (
	"strings"
	"testing"
)

// Fields semaflow accepted and then did nothing with are lint errors now,
// each at its field: output jqFilter and jsonPath (Argo's are for
// resource templates), valueFrom.event, an output artifact's globalName,
// and a CronWorkflow's when and stopStrategy.
func TestLintRefusesSilentlyIgnoredFields(t *testing.T) {
	wf := lintString(t, wfHeader+`spec:
  entrypoint: main
  arguments:
    parameters: [{name: e, valueFrom: {event: "payload.x"}}]
  templates:
  - name: main
    script:
      image: alpine
      command: [sh]
      source: "echo 1 > /tmp/x"
    outputs:
      parameters:
      - {name: a, valueFrom: {jqFilter: ".a", path: /tmp/x}}
      - {name: b, valueFrom: {jsonPath: "{.a}"}}
      artifacts:
      - {name: out, path: /tmp/x, globalName: gout}
`)
	cron := lintString(t, cronHeader+`  schedule: "@every 2s"
  when: "false"
  stopStrategy: {expression: "true"}
  workflowSpec:
    entrypoint: main
    templates:
    - {name: main, container: {image: alpine, command: ["true"]}}
`)
	for _, c := range []struct {
		ds         Diagnostics
		path, word string
	}{
		{wf, "spec.arguments.parameters[0].valueFrom.event", "valueFrom.event"},
		{wf, "spec.templates[0].outputs.parameters[0].valueFrom.jqFilter", "jqFilter"},
		{wf, "spec.templates[0].outputs.parameters[1].valueFrom.jsonPath", "jsonPath"},
		{wf, "spec.templates[0].outputs.artifacts[0].globalName", "globalName"},
		{cron, "spec.when", "when"},
		{cron, "spec.stopStrategy", "stopStrategy"},
	} {
		found := false
		for _, d := range c.ds {
			if d.Severity == SeverityError && d.Path == c.path && strings.Contains(d.Message, c.word) {
				found = true
			}
		}
		if !found {
			t.Errorf("no error at %s naming %s: %v", c.path, c.word, c.ds)
		}
	}
}
