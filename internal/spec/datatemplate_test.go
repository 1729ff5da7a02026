package spec

import (
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// A data template reads as Argo's: source.artifactPaths (an artifact) and
// transformation, a list of expression steps.
func TestParseDataTemplate(t *testing.T) {
	d, err := ParseDataTemplate(wfv1.Object{
		"source": map[string]any{"artifactPaths": map[string]any{"name": "logs", "s3": map[string]any{"key": "run-1/logs"}}},
		"transformation": []any{
			map[string]any{"expression": `filter(data, {# endsWith "main.log"})`},
			map[string]any{"expression": `map(data, {# + ".gz"})`},
		},
	})
	if err != nil || d.ArtifactPaths.Name != "logs" || d.ArtifactPaths.S3 == nil || len(d.Expressions) != 2 ||
		d.Expressions[1] != `map(data, {# + ".gz"})` {
		t.Fatalf("ParseDataTemplate: %+v, %v", d, err)
	}
	for _, c := range []struct {
		obj  wfv1.Object
		want string
	}{
		{wfv1.Object{}, "data.source.artifactPaths"},
		{wfv1.Object{"source": map[string]any{"artifactPaths": map[string]any{"name": "x"}},
			"transformation": []any{map[string]any{}}}, "data.transformation[0]"},
		{wfv1.Object{"source": map[string]any{"artifactPaths": "nope"}}, "data"},
	} {
		if _, err := ParseDataTemplate(c.obj); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseDataTemplate(%v): %v, want an error naming %q", c.obj, err, c.want)
		}
	}
}
