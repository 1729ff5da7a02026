package engine

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestStepDirStaysInsideTheDataDirectory(t *testing.T) {
	e := &Engine{dataDir: "/srv/semaflow/data"}
	root := "/srv/semaflow/data/workflows/"
	for _, node := range []string{"../../../victim", "..", ".", "/etc", "a/../../b", "x\x00y", "wf-123"} {
		dir, err := e.stepDir("5d1c2b8e-0000-4000-8000-000000000000", node)
		if err != nil || !strings.HasPrefix(dir, root) || strings.Contains(dir, "..") || filepath.Dir(filepath.Dir(dir))+"/" != root {
			t.Fatalf("node %q: %q %v", node, dir, err)
		}
	}
	a, _ := e.stepDir("u", "wf-1")
	b, _ := e.stepDir("u", "wf-2")
	if a == b {
		t.Fatalf("two nodes share %s", a)
	}
	for _, uid := range []string{"", ".", "..", "../x", "a/b", `a\b`} {
		if dir, err := e.stepDir(uid, "wf"); !errors.Is(err, ErrPathEscape) {
			t.Fatalf("uid %q: %q %v, want ErrPathEscape", uid, dir, err)
		}
	}
	for _, p := range []string{"/srv/semaflow/data/workflows", "/srv/semaflow/data/workflows/../x", "/srv/semaflow/data/workflowsx/a", "/etc/passwd"} {
		if within("/srv/semaflow/data/workflows", p) {
			t.Fatalf("%s counted as inside", p)
		}
	}
	if !within("/srv/semaflow/data/workflows", "/srv/semaflow/data/workflows/u/n1/log") {
		t.Fatal("a step's log counted as outside")
	}
}
