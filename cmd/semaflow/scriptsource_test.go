package main

import "testing"

// A script template without source runs its command and args as they
// are, as Argo runs it (no script file is appended), and its stdout is the
// result.
func TestScriptWithoutSourceRuns(t *testing.T) {
	f := writeFile(t, "no-source.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: no-source
spec:
  entrypoint: main
  templates:
    - name: main
      script:
        image: python:alpine3.6
        command: [echo, hi]
`)
	wfs, stderr, code := runJSON(t, f)
	if code != 0 || len(wfs) != 1 || wfs[0].Status.Phase != "Succeeded" {
		t.Fatalf("exit %d, %+v:\n%s", code, wfs, stderr)
	}
	for _, n := range wfs[0].Status.Nodes {
		if n.Outputs == nil || n.Outputs.Result == nil || *n.Outputs.Result != "hi" {
			t.Fatalf("node %s outputs %+v, want result hi", n.Name, n.Outputs)
		}
	}
}
