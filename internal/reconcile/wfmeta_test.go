package reconcile

import (
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

const metadataWorkflow = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: metadata-
  labels: {keep: mine, team: old, my-label: submitted}
spec:
  arguments:
    parameters:
      - name: foo
        value: bar
  workflowMetadata:
    labels: {team: blue, wf: "{{workflow.name}}"}
    annotations: {note: "for {{workflow.parameters.foo}}"}
    labelsFrom:
      my-label:
        expression: workflow.parameters.foo
      from-label:
        expression: "workflow.labels.team + '-' + workflow.labels.keep"
  entrypoint: main
  templates:
    - name: main
      container:
        image: argoproj/argosay:v2
        args: ["{{workflow.labels.my-label}}", "{{workflow.annotations.note}}"]
`

// Argo's FunctionalSuite TestWorkflowMetadataLabelsFrom, and more: the
// labels, annotations and labelsFrom of spec.workflowMetadata go on the
// workflow's own metadata when it is first reconciled, with workflow
// variables substituted, and templates see them as workflow.labels.*.
func TestWorkflowMetadataOnWorkflow(t *testing.T) {
	var args []string
	s := newSim(t, metadataWorkflow, func(l Launch) outcome {
		args = l.Template.Container.Args
		return outcome{takes: time.Second}
	})
	first := newSim(t, metadataWorkflow, nil)
	if plan := Reconcile(first.wf, nil, first.now, first.res); !plan.Relabelled {
		t.Error("the first reconcile changed the labels but the plan does not say so")
	}
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s (%s)\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
	}
	want := map[string]string{"keep": "mine", "team": "blue", "wf": "metadata-abcde", "my-label": "bar", "from-label": "blue-mine"}
	for k, v := range want {
		if got := wf.Metadata.Labels[k]; got != v {
			t.Errorf("label %s = %q, want %q (labels %v)", k, got, v, wf.Metadata.Labels)
		}
	}
	if got := wf.Metadata.Annotations["note"]; got != "for bar" {
		t.Errorf("annotation note = %q, want %q", got, "for bar")
	}
	if len(args) != 2 || args[0] != "bar" || args[1] != "for bar" {
		t.Errorf("the step's args %q, want [bar, for bar]", args)
	}
}

// A label value that Kubernetes would refuse ends the workflow in Error
// before anything runs, naming the label (and the expression it came
// from), as Argo's operator does; so does an expression that gives no
// string.
func TestWorkflowMetadataBadLabelValue(t *testing.T) {
	for _, c := range []struct{ name, meta, says string }{
		{"labelsFrom value", `labelsFrom: {my-label: {expression: "'not a label'"}}`, `"my-label"`},
		{"labelsFrom not a string", `labelsFrom: {count: {expression: "1 + 1"}}`, `"count"`},
		{"labelsFrom fails", `labelsFrom: {broken: {expression: "workflow.parameters.nope.x"}}`, `"broken"`},
		{"labels after substitution", `labels: {who: "{{workflow.parameters.foo}}"}`, `"who"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newSim(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: bad}
spec:
  arguments: {parameters: [{name: foo, value: "a b"}]}
  workflowMetadata:
    `+c.meta+`
  entrypoint: main
  templates:
  - {name: main, container: {image: x, command: ["true"]}}
`, func(l Launch) outcome {
				t.Fatalf("step %s launched", l.NodeName)
				return outcome{}
			})
			wf := s.run()
			if wf.Status.Phase != wfv1.PhaseError || !strings.Contains(wf.Status.Message, c.says) {
				t.Fatalf("phase %s, message %q; want Error naming %s", wf.Status.Phase, wf.Status.Message, c.says)
			}
		})
	}
}

// workflowMetadata merges with the referenced WorkflowTemplate's: labels
// and annotations by key, labelsFrom by label, the Workflow's winning.
func TestWorkflowMetadataFromTemplate(t *testing.T) {
	s := newSim(t, `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: tpl, namespace: default}
spec:
  entrypoint: main
  workflowMetadata:
    labels: {a: tpl, b: tpl}
    annotations: {n: tpl}
    labelsFrom: {c: {expression: "'tpl'"}, d: {expression: "'tpl'"}}
  templates:
  - {name: main, container: {image: x, command: ["true"]}}
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: uses, namespace: default}
spec:
  workflowTemplateRef: {name: tpl}
  workflowMetadata:
    labels: {b: wf}
    labelsFrom: {c: {expression: "'wf'"}}
`, func(Launch) outcome { return outcome{takes: time.Second} })
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s (%s)", wf.Status.Phase, wf.Status.Message)
	}
	for k, v := range map[string]string{"a": "tpl", "b": "wf", "c": "wf", "d": "tpl"} {
		if got := wf.Metadata.Labels[k]; got != v {
			t.Errorf("label %s = %q, want %q (labels %v)", k, got, v, wf.Metadata.Labels)
		}
	}
	if wf.Metadata.Annotations["n"] != "tpl" {
		t.Errorf("annotations %v, want n=tpl", wf.Metadata.Annotations)
	}
}
