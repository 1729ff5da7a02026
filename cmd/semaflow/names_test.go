package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `semaflow run` and `lint` refuse a name that could lead a step directory
// out of the data directory, naming the file and field, and run nothing.
func TestRunRefusesPathTraversalNames(t *testing.T) {
	for _, name := range []string{"../../../victim", ".."} {
		dir := t.TempDir()
		f := writeFile(t, "bad.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: \""+name+"\"}\n"+
			"spec:\n  entrypoint: main\n  templates:\n  - name: main\n    container: {image: x, command: [touch, "+filepath.Join(dir, "ran")+"]}\n")
		out, code := run(t, "run", f)
		if code != 1 || !strings.Contains(out, "bad.yaml:3:") || !strings.Contains(out, "metadata.name") {
			t.Fatalf("run %q: exit %d:\n%s", name, code, out)
		}
		if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
			t.Fatalf("run %q ran its step", name)
		}
		out, code = run(t, "lint", f)
		if code == 0 || !strings.Contains(out, "metadata.name") {
			t.Fatalf("lint %q: exit %d:\n%s", name, code, out)
		}
	}
}
