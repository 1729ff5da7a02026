package reconcile

import (
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
)

// A DAG's output artifact may name, by fromExpression or from, tasks
// that nothing else in the DAG references: their outputs are in scope
// when it is resolved (Argo's dag-conditional-artifacts.yaml).
func TestOutputArtifactsSeeTheirTasks(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: flip-coin, template: flip}
      - {name: heads, depends: flip-coin, template: art, when: "{{tasks.flip-coin.outputs.result}} == heads"}
      - {name: tails, depends: flip-coin, template: art, when: "{{tasks.flip-coin.outputs.result}} == tails"}
    outputs:
      artifacts:
      - name: result
        fromExpression: "tasks['flip-coin'].outputs.result == 'heads' ? tasks.heads.outputs.artifacts.result : tasks.tails.outputs.artifacts.result"
      - name: again
        from: "{{tasks.heads.outputs.artifacts.result}}"
  - name: flip
    container: {image: x, command: [echo]}
  - name: art
    container: {image: x, command: [echo]}
    outputs: {artifacts: [{name: result, path: /result.txt}]}
`, func(l Launch) outcome {
		if l.Template.Name == "flip" {
			return outcome{takes: time.Second, stdout: "heads"}
		}
		return outcome{takes: time.Second, artifacts: []domain.StepArtifact{{Name: "result", Path: "/result.txt",
			Key: "wf/" + l.NodeID + "/result.tgz", Staged: "outputs/0.tgz", Stored: true}}}
	})
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("workflow %s %q\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
	}
	heads := s.node("wf.heads")
	want := "wf/" + heads.ID + "/result.tgz"
	root := s.node("wf")
	if root.Outputs == nil || len(root.Outputs.Artifacts) != 2 {
		t.Fatalf("DAG outputs %+v", root.Outputs)
	}
	for _, a := range root.Outputs.Artifacts {
		if a.S3 == nil || a.S3.Key != want {
			t.Fatalf("DAG output %s: %+v, want key %s", a.Name, a.S3, want)
		}
	}
}
