package executor

import (
	"errors"
	"testing"
)

func TestOutputPathIsTheStepsOwn(t *testing.T) {
	v := stepView{workPath: "/data/wf/node/work"}
	for _, c := range []struct {
		workingDir, path, want string
		leaves                 bool
	}{
		{"", "/tmp/out", "/tmp/out", false},
		{"", "rel", "/data/wf/node/work/rel", false},
		{"", "./a/../b", "/data/wf/node/work/b", false},
		{"/src", "out/x", "/src/out/x", false},
		{"", "../spec.json", "", true},
		{"", "a/../../x", "", true},
		{"", "..", "", true},
		{"/src", "../../etc/passwd", "", true},
	} {
		got, err := v.outputPath(&Spec{WorkingDir: c.workingDir}, c.path)
		if c.leaves != errors.Is(err, errLeavesWorkDir) || got != c.want {
			t.Errorf("workingDir %q, path %q: %q, %v; want %q (leaves: %v)", c.workingDir, c.path, got, err, c.want, c.leaves)
		}
	}
}
