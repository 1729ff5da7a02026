package reconcile

import (
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
)

func TestOutputKeys(t *testing.T) {
	arts := []wfv1.Artifact{
		{Name: "file", Path: "/tmp/hello.txt"},
		{Name: "dir", Path: "/tmp/", Archive: wfv1.Object{"none": map[string]any{}}},
		{Name: "own", Path: "/tmp/x", ArtifactLocation: wfv1.ArtifactLocation{S3: &wfv1.S3Artifact{Key: "wf/parts/"}}},
	}
	outputKeys("wf", "wf-123", arts)
	for i, want := range []string{"wf/wf-123/file.tgz", "wf/wf-123/tmp", "wf/parts/"} {
		if got := arts[i].S3.Key; got != want {
			t.Errorf("%s: key %q, want %q", arts[i].Name, got, want)
		}
	}
}

func TestBindInputArtifact(t *testing.T) {
	produced := artifactJSON(wfv1.Artifact{Name: "out", Path: "/tmp/o", ArtifactLocation: wfv1.ArtifactLocation{S3: &wfv1.S3Artifact{Key: "wf/p/out.tgz"}}})
	in := wfv1.Artifact{Name: "in", Path: "/tmp/in"}
	for _, tc := range []struct {
		name     string
		in       wfv1.Artifact
		args     []wfv1.Artifact
		key, sub string
		absent   bool
		err      string
	}{
		{name: "from", in: in, args: []wfv1.Artifact{{Name: "in", From: produced}}, key: "wf/p/out.tgz"},
		{name: "from with subPath", in: in, args: []wfv1.Artifact{{Name: "in", From: produced, SubPath: "a/b"}}, key: "wf/p/out.tgz", sub: "a/b"},
		{name: "key-only argument", in: in, args: []wfv1.Artifact{{Name: "in", ArtifactLocation: wfv1.ArtifactLocation{S3: &wfv1.S3Artifact{Key: "k"}}}}, key: "k"},
		{name: "template's own key", in: wfv1.Artifact{Name: "in", ArtifactLocation: wfv1.ArtifactLocation{S3: &wfv1.S3Artifact{Key: "own"}}}, key: "own"},
		{name: "optional, not supplied", in: wfv1.Artifact{Name: "in", Optional: true}, absent: true},
		{name: "not supplied", in: in, err: `inputs.artifacts.in was not supplied`},
		{name: "from that is no artifact", in: in, args: []wfv1.Artifact{{Name: "in", From: "{{steps.x.outputs.artifacts.y}}"}}, err: "does not name an artifact"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, ok, err := bindInputArtifact("t", tc.in, tc.args)
			switch {
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
			case err != nil:
				t.Fatal(err)
			case ok == tc.absent:
				t.Fatalf("ok = %v", ok)
			case !tc.absent && (b.S3 == nil || b.S3.Key != tc.key || b.SubPath != tc.sub || b.Path != tc.in.Path):
				t.Fatalf("bound %+v (s3 %+v)", b, b.S3)
			}
		})
	}
}

// A steps or DAG template's output artifact is the one its from or
// fromExpression names; a skipped task's is absent, so the expression's
// other branch is taken.
func TestTemplateArtifacts(t *testing.T) {
	heads := artifactJSON(wfv1.Artifact{Name: "result", Path: "/r", ArtifactLocation: wfv1.ArtifactLocation{S3: &wfv1.S3Artifact{Key: "wf/h/result.tgz"}}})
	scope := expr.Scope{"tasks.flip.outputs.result": "heads", "tasks.heads.outputs.artifacts.result": heads}
	tmpl := &wfv1.Template{Outputs: wfv1.Outputs{Artifacts: []wfv1.Artifact{
		{Name: "a", FromExpression: "tasks.flip.outputs.result == 'heads' ? tasks.heads.outputs.artifacts.result : tasks.tails.outputs.artifacts.result"},
		{Name: "b", From: "{{tasks.heads.outputs.artifacts.result}}"},
	}}}
	arts, err := templateArtifacts(tmpl, scope)
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 2 || arts[0].S3.Key != "wf/h/result.tgz" || arts[1].Name != "b" || arts[1].S3.Key != "wf/h/result.tgz" {
		t.Fatalf("got %+v", arts)
	}
	tmpl.Outputs.Artifacts = []wfv1.Artifact{{Name: "c", From: "{{tasks.tails.outputs.artifacts.result}}"}}
	if _, err := templateArtifacts(tmpl, scope); err == nil {
		t.Fatal("an unresolved from gave an artifact")
	}
}
