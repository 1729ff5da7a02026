package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/semaflow/semaflow/internal/testkit"
)

const oneStep = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: one}
spec:
  entrypoint: main
  templates:
  - {name: main, container: {image: x, command: [sh, -c, "echo hi"]}}
`

// Deleting a workflow removes what it left on disk too: its step
// directories, where its logs, specs and results are kept.
func TestDeleteRemovesStepDirectories(t *testing.T) {
	l := testkit.Open(t, testkit.Options{})
	defer func() { _ = l.Close() }()
	ctx := context.Background()
	wf := testkit.RunWorkflow(t, l.Engine, testkit.ParseWorkflow(t, oneStep))
	dir := filepath.Join(l.DataDir, "workflows", wf.Metadata.UID)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the workflow's step directory: %v", err)
	}
	if err := l.Engine.Delete(ctx, "default", "one"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("%s is still there after the workflow was deleted (stat: %v)", dir, err)
	}
}

// A workflow's volumes (a volumeClaimTemplate's directory) live in its
// directory too, and go with it.
func TestDeleteRemovesVolumes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("volumes are mounted in the step's own mount namespace (root)")
	}
	l := testkit.Open(t, testkit.Options{})
	defer func() { _ = l.Close() }()
	wf := testkit.RunWorkflow(t, l.Engine, testkit.ParseWorkflow(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: vol}
spec:
  entrypoint: main
  volumeClaimTemplates: [{metadata: {name: work}}]
  templates:
  - name: main
    container: {image: x, command: [sh, -c, "echo kept > /mnt/semaflow-delete-test/f"], volumeMounts: [{name: work, mountPath: /mnt/semaflow-delete-test}]}
`))
	if wf.Status.Phase != "Succeeded" {
		t.Fatalf("workflow %s: %s", wf.Status.Phase, wf.Status.Message)
	}
	vols := filepath.Join(l.DataDir, "workflows", wf.Metadata.UID, "volumes")
	files, _ := filepath.Glob(filepath.Join(vols, "*", "f"))
	if len(files) != 1 {
		t.Fatalf("the claim's file is not in %s: %v", vols, files)
	}
	if err := l.Engine.Delete(context.Background(), "default", "vol"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(vols); !os.IsNotExist(err) {
		t.Fatalf("%s is still there after the workflow was deleted (stat: %v)", vols, err)
	}
}
