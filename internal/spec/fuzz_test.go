package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseValidate feeds arbitrary bytes through parsing and validation.
// Neither may panic, and every diagnostic must name the file and point
// inside the input.
func FuzzParseValidate(f *testing.F) {
	root := filepath.Join(sharedDir(f), "corpus", "argo-examples")
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
		return nil
	})
	for _, s := range []string{
		wfHeader + "spec:\n  entrypoint: a\n  synchronization: {}\n",
		wfHeader + "spec:\n  templates:\n  - name: a\n    dag: {tasks: [{name: x, depends: '(x'}]}\n",
		"a: &a [*a]\n",
		"<<: {a: 1}\n",
		"kind: ConfigMap\napiVersion: v1\ndata: {a: 1}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file := Parse("fuzz.yaml", data, Options{})
		set := NewSet(file)
		set.Validate()
		lines := countLineBreaks(data) + 2
		for _, d := range set.Diagnostics() {
			if d.File != "fuzz.yaml" || d.Message == "" {
				t.Fatalf("diagnostic without file or message: %+v", d)
			}
			if d.Pos.Line < 0 || d.Pos.Line > lines {
				t.Fatalf("diagnostic points outside the input (line %d of %d): %s", d.Pos.Line, lines, d)
			}
		}
	})
}
