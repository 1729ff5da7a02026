package main

import (
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// With lint bypassed, an output semaflow would store somewhere other
// than where the manifest says (gcs, a zip archive, a second artifact of
// the same name, logs for another store) fails its step naming the
// field, instead of ending Succeeded with the artifact in the local
// repository (hxA finding 6).
func TestNoLintRefusesMisplacedOutputs(t *testing.T) {
	cases := []struct{ name, tmpl, says string }{
		{"gcs", `outputs: {artifacts: [{name: o, path: /tmp/o, gcs: {bucket: b, key: k}}]}`, "gcs"},
		{"zip", `outputs: {artifacts: [{name: o, path: /tmp/o, archive: {zip: {}}}]}`, "zip"},
		{"dup", `outputs: {artifacts: [{name: o, path: /tmp/o}, {name: o, path: /tmp/p}]}`, "twice"},
		{"archiveLocation", `archiveLocation: {archiveLogs: true, azure: {container: c, blob: b}}`, "azure"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wf, stderr := runWorkflowJSON(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: refuse-`+c.name+`}
spec:
  entrypoint: a
  templates:
  - name: a
    script: {image: alpine, command: [sh], source: "echo x > /tmp/o; echo y > /tmp/p"}
    `+c.tmpl+`
`, "--no-lint", "--artifact-repository", t.TempDir())
			if wf.Status.Phase == wfv1.PhaseSucceeded {
				t.Fatalf("workflow Succeeded; want the step refused\n%s", stderr)
			}
			n := nodeByDisplayName(t, wf, wf.Metadata.Name)
			if !strings.Contains(n.Message, c.says) {
				t.Errorf("node message %q does not name %q", n.Message, c.says)
			}
		})
	}
}
