package reconcile

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
)

// dataWF: a step makes a directory artifact, a data template lists it
// (its source given as SOURCE) and filters the list, and a last step
// takes the list as its argument.
const dataWF = header + `  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: gen, template: gen}
    - - name: list
        template: list
        arguments: {artifacts: [{name: files, from: "{{steps.gen.outputs.artifacts.out}}"}]}
    - - name: use
        template: echo
        arguments: {parameters: [{name: msg, value: "{{steps.list.outputs.result}}"}]}
  - name: gen
    container: {image: x, command: [echo]}
    outputs: {artifacts: [{name: out, path: /tmp/out, archive: {none: {}}}]}
  - name: list
    inputs: {artifacts: [{name: files}]}
    data:
      source:
        artifactPaths: SOURCE
      transformation:
      - expression: "filter(data, {# endsWith '.csv'})"
      - expression: "map(data, {# + '.ready'})"
  - name: echo
    inputs: {parameters: [{name: msg}]}
    container: {image: x, command: [echo, "{{inputs.parameters.msg}}"]}
`

// genStored is the gen step's outcome: its directory stored, archive
// none, under Argo's default key.
func genStored(l Launch) outcome {
	return outcome{takes: time.Second, artifacts: []domain.StepArtifact{{Name: "out", Path: "/tmp/out",
		Key: "wf/" + l.NodeID + "/out", Staged: "outputs/0", Unarchived: true, Stored: true}}}
}

// A data template is a leaf the engine runs, as Argo runs it in a pod:
// its node is a Pod node, launched with its source resolved to a
// repository location (by from, fromExpression, an input artifact or a
// key) and its transformations in order; its result reaches later steps.
func TestDataTemplateIsLaunched(t *testing.T) {
	for name, tc := range map[string]struct{ source, key string }{
		"from an input":         {`{name: files, from: "{{inputs.artifacts.files}}"}`, "GEN/out"},
		"fromExpression":        {`{name: files, fromExpression: "inputs.artifacts.files"}`, "GEN/out"},
		"from with subPath":     {`{name: files, from: "{{inputs.artifacts.files}}", subPath: sub}`, "GEN/out"},
		"key-only s3":           {`{name: files, s3: {key: "{{workflow.name}}/listing"}}`, "wf/listing"},
		"key-only s3 with path": {`{name: files, s3: {key: "{{workflow.name}}/listing"}, subPath: a/b}`, "wf/listing"},
	} {
		t.Run(name, func(t *testing.T) {
			body := strings.Replace(dataWF, "SOURCE", tc.source, 1)
			var job *DataJob
			var genID string
			var echoed []string
			s := newSim(t, body, func(l Launch) outcome {
				switch l.Template.Name {
				case "gen":
					genID = l.NodeID
					return genStored(l)
				case "list":
					job = l.Data
					return outcome{takes: time.Second, stdout: `["a.csv.ready"]`}
				case "echo":
					echoed = args(l)
				}
				return succeed(l)
			})
			wf := s.run()
			if wf.Status.Phase != wfv1.PhaseSucceeded {
				t.Fatalf("workflow %s %q\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
			}
			if job == nil {
				t.Fatal("the data template was launched without its data job")
			}
			want := strings.Replace(tc.key, "GEN", "wf/"+genID, 1)
			if job.Source.S3 == nil || job.Source.S3.Key != want {
				t.Fatalf("source %+v, want key %q", job.Source, want)
			}
			if wantSub := map[bool]string{true: "sub", false: ""}[strings.Contains(tc.source, "subPath: sub")]; strings.Contains(tc.source, "a/b") {
				if job.Source.SubPath != "a/b" {
					t.Fatalf("subPath %q, want a/b", job.Source.SubPath)
				}
			} else if job.Source.SubPath != wantSub {
				t.Fatalf("subPath %q, want %q", job.Source.SubPath, wantSub)
			}
			if !slices.Equal(job.Expressions, []string{"filter(data, {# endsWith '.csv'})", "map(data, {# + '.ready'})"}) {
				t.Fatalf("expressions %q", job.Expressions)
			}
			if n := s.node("wf[1].list"); n.Type != NodePod || n.Outputs == nil || n.Outputs.Result == nil || *n.Outputs.Result != `["a.csv.ready"]` {
				t.Fatalf("list node %s %+v", n.Type, n.Outputs)
			}
			if !slices.Equal(echoed, []string{"echo", `["a.csv.ready"]`}) {
				t.Fatalf("the next step got %q", echoed)
			}
		})
	}
}

// A data template that cannot run (lint refuses most of these; run
// --no-lint reaches the engine) ends in Error naming the field, and
// nothing is launched for it (every attempt would fail the same way).
func TestDataTemplateRefused(t *testing.T) {
	for name, tc := range map[string]struct {
		data wfv1.Object
		want string
	}{
		"no source": {wfv1.Object{"transformation": []any{map[string]any{"expression": "data"}}}, "data.source.artifactPaths is required"},
		"empty expression": {wfv1.Object{"source": map[string]any{"artifactPaths": map[string]any{"name": "a", "s3": map[string]any{"key": "k"}}},
			"transformation": []any{map[string]any{"expression": " "}}}, "data.transformation[0]"},
		"no location": {wfv1.Object{"source": map[string]any{"artifactPaths": map[string]any{"name": "a"}}}, "names no artifact to list"},
		"from naming no artifact": {wfv1.Object{"source": map[string]any{"artifactPaths": map[string]any{"name": "a", "from": "{{workflow.name}}"}}},
			`data.source.artifactPaths.from "wf" does not name an artifact`},
		"fromExpression failing": {wfv1.Object{"source": map[string]any{"artifactPaths": map[string]any{"name": "a", "fromExpression": "nope.nope"}}},
			"data.source.artifactPaths.fromExpression"},
	} {
		t.Run(name, func(t *testing.T) {
			launched := false
			s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    retryStrategy: {limit: 2}
    data: {source: {artifactPaths: {name: a, s3: {key: k}}}}
`, func(Launch) outcome { launched = true; return succeed(Launch{}) })
			s.wf.Spec.Templates[0].Data = tc.data
			wf := s.run()
			if launched || wf.Status.Phase != wfv1.PhaseError || !strings.Contains(wf.Status.Message, tc.want) {
				t.Fatalf("launched %v, workflow %s %q (want %q)\n%s", launched, wf.Status.Phase, wf.Status.Message, tc.want, s.dump())
			}
			if len(wf.Status.Nodes) > 2 {
				t.Fatalf("retried:\n%s", s.dump())
			}
		})
	}
}
