package main

import (
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// An output path that is a symlink is read where the link leads in the
// step's own view: an absolute target is the step's /tmp, not the
// host's, and an optional artifact behind a link is kept, never dropped
// as missing (hxA finding 9).
func TestOutputSymlinkResolvedInStepView(t *testing.T) {
	wf, stderr := runWorkflowJSON(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: outlinks}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: mk, template: mk}
    - - name: rd
        template: rd
        arguments:
          artifacts:
          - {name: link, from: "{{steps.mk.outputs.artifacts.link}}"}
          - {name: rel, from: "{{steps.mk.outputs.artifacts.rel}}"}
          - {name: dir, from: "{{steps.mk.outputs.artifacts.dir}}"}
  - name: mk
    script:
      image: alpine
      command: [sh]
      source: |
        echo real > /tmp/real.txt; ln -s /tmp/real.txt /tmp/link; ln -s real.txt /tmp/rel
        mkdir -p /tmp/d; echo inside > /tmp/d/f; ln -s /tmp/d /tmp/dlink
    outputs:
      artifacts:
      - {name: link, path: /tmp/link, optional: true}
      - {name: rel, path: /tmp/rel, optional: true}
      - {name: dir, path: /tmp/dlink/f}
  - name: rd
    inputs:
      artifacts:
      - {name: link, path: /tmp/in/link}
      - {name: rel, path: /tmp/in/rel}
      - {name: dir, path: /tmp/in/f}
    script: {image: alpine, command: [sh], source: "cat /tmp/in/link /tmp/in/rel /tmp/in/f"}
`, "--artifact-repository", t.TempDir())
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("workflow %s: %s\n%s", wf.Status.Phase, wf.Status.Message, stderr)
	}
	outputArtifact(t, nodeByDisplayName(t, wf, "mk"), "link")
	if got := result(nodeByDisplayName(t, wf, "rd")); got != "real\nreal\ninside" {
		t.Errorf("rd read %q, want the linked files' contents", got)
	}
}

// A link that leads out of the step's own directories fails its step
// saying so, even for an optional artifact.
func TestOutputSymlinkOutsideStepFails(t *testing.T) {
	wf, stderr := runWorkflowJSON(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: outlinks-out}
spec:
  entrypoint: a
  templates:
  - name: a
    script: {image: alpine, command: [sh], source: "ln -s /etc/passwd /tmp/link"}
    outputs: {artifacts: [{name: link, path: /tmp/link, optional: true}]}
`, "--artifact-repository", t.TempDir())
	if wf.Status.Phase == wfv1.PhaseSucceeded {
		t.Fatalf("workflow Succeeded; want the link refused\n%s", stderr)
	}
	n := nodeByDisplayName(t, wf, "outlinks-out")
	if !strings.Contains(n.Message, "leads outside the step") || strings.Contains(n.Message, "no such file") {
		t.Errorf("node message %q, want it to say the symlink leads outside the step", n.Message)
	}
}
