package artifacts

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// Open streams one stored file, says a tree is one, and refuses a key
// through a link a step stored in its tree: a link to a sibling
// directory must not reach another workflow's artifacts.
func TestLocalOpen(t *testing.T) {
	ctx := context.Background()
	l, err := OpenLocal(filepath.Join(t.TempDir(), "repo"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "f"), []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := l.Save(ctx, "other/n/secret", filepath.Join(src, "f")); err != nil {
		t.Fatal(err)
	}
	tree := filepath.Join(src, "tree")
	if err := os.MkdirAll(filepath.Join(tree, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "sub", "a"), []byte("a"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../other/n", filepath.Join(tree, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../other/n/secret", filepath.Join(tree, "file-link")); err != nil {
		t.Fatal(err)
	}
	if err := l.Save(ctx, "wf/n/tree", tree); err != nil {
		t.Fatal(err)
	}

	rc, info, err := l.Open(ctx, "other/n/secret")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	_ = rc.Close()
	if string(b) != "data" || info.Size != 4 {
		t.Errorf("file: %q size %d", b, info.Size)
	}
	if rc, _, err := l.Open(ctx, "wf/n/tree/sub/a"); err != nil {
		t.Errorf("a file in a tree: %v", err)
	} else {
		_ = rc.Close()
	}
	if _, _, err := l.Open(ctx, "wf/n/tree"); !errors.Is(err, ErrIsTree) {
		t.Errorf("tree: %v, want ErrIsTree", err)
	}
	if _, _, err := l.Open(ctx, "wf/n/missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v, want ErrNotFound", err)
	}
	for _, key := range []string{"wf/n/tree/escape/secret", "wf/n/tree/file-link", "../x", "/etc/passwd"} {
		if rc, _, err := l.Open(ctx, key); err == nil {
			b, _ := io.ReadAll(rc)
			_ = rc.Close()
			t.Errorf("%s: opened, read %q", key, b)
		}
	}
}
