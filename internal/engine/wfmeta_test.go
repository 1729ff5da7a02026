package engine_test

import (
	"context"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

// spec.workflowMetadata's labels are stored on the workflow, so get and
// label-selected lists (CLI, server, argo API) see them.
func TestWorkflowMetadataIsStoredAndSelectable(t *testing.T) {
	l := testkit.Open(t, testkit.Options{})
	defer func() { _ = l.Close() }()
	ctx := context.Background()
	wf := testkit.RunWorkflow(t, l.Engine, testkit.ParseWorkflow(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: metadata-}
spec:
  arguments: {parameters: [{name: foo, value: bar}]}
  workflowMetadata:
    annotations: {note: hi}
    labelsFrom:
      my-label: {expression: workflow.parameters.foo}
  entrypoint: main
  templates:
  - {name: main, container: {image: x, command: ["true"]}}
`))
	got, err := l.Engine.Get(ctx, "default", wf.Metadata.Name)
	if err != nil {
		t.Fatal(err)
	}
	if got.Metadata.Labels["my-label"] != "bar" || got.Metadata.Annotations["note"] != "hi" {
		t.Fatalf("stored labels %v, annotations %v; want my-label=bar, note=hi", got.Metadata.Labels, got.Metadata.Annotations)
	}
	list, _, err := l.Engine.List(ctx, store.ListOptions{Match: func(w *wfv1.Workflow) bool { return w.Metadata.Labels["my-label"] == "bar" }})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Metadata.UID != wf.Metadata.UID {
		t.Fatalf("list by my-label=bar gave %d workflows", len(list))
	}
}
