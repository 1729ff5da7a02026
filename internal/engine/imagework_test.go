package engine

import (
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/reconcile"
)

// A step's spec carries its image's working directory from the table,
// which the supervisor's outputs stand in for (executor.Spec.ImageWorkDir).
func TestJobSpecCarriesTheImagesWorkingDirectory(t *testing.T) {
	wf := &wfv1.Workflow{Metadata: wfv1.ObjectMeta{Name: "w", Namespace: "default"}}
	for image, want := range map[string]string{"python:alpine3.23": "/", "golang:1.23": "/go", "myorg/x": ""} {
		l := &reconcile.Launch{NodeID: "n", Template: wfv1.Template{Name: "t",
			Script: &wfv1.ScriptTemplate{Container: wfv1.Container{Image: image, Command: []string{"python"}}, Source: "print(1)"}}}
		s, err := jobSpec(wf, l, nil, "", nil)
		if err != nil || s.ImageWorkDir != want {
			t.Errorf("%s: ImageWorkDir %q, %v; want %q", image, s.ImageWorkDir, err, want)
		}
	}
}
