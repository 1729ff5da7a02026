package server

import (
	"slices"
	"testing"

	"github.com/semaflow/semaflow/internal/spec"
)

// The server's Warning header names the fields lint warns about: one
// list, container fields included.
func TestIgnoredFieldsAreLintsWarnings(t *testing.T) {
	f := spec.Parse("w", []byte(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: w-}
spec:
  entrypoint: main
  serviceAccountName: sa
  templates:
  - name: main
    nodeSelector: {disk: ssd}
    metadata: {}
    container: {image: a, command: [echo], imagePullPolicy: Always, resources: {}}
`), spec.Options{})
	got := ignoredFields(f.Docs[0])
	want := []string{
		"spec.serviceAccountName (argo submit --serviceaccount)",
		"spec.templates[0].container.imagePullPolicy",
		"spec.templates[0].nodeSelector",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}
