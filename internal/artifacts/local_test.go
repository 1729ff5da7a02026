package artifacts

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func openTestRepo(t *testing.T) (*Local, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "repo")
	l, err := OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l, dir
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLocalFileRoundTrip(t *testing.T) {
	ctx := context.Background()
	l, _ := openTestRepo(t)
	src := filepath.Join(t.TempDir(), "a.txt")
	writeFile(t, src, "hello")
	if err := l.Save(ctx, "wf/pod/a.tgz", src); err != nil {
		t.Fatal(err)
	}
	// Saving again replaces it.
	writeFile(t, src, "hello again")
	if err := l.Save(ctx, "wf/pod/a.tgz", src); err != nil {
		t.Fatal(err)
	}
	info, err := l.Stat(ctx, "wf/pod/a.tgz")
	if err != nil || info.Dir || info.Size != int64(len("hello again")) {
		t.Fatalf("Stat = %+v, %v", info, err)
	}
	dst := filepath.Join(t.TempDir(), "out")
	if err := l.Load(ctx, "wf/pod/a.tgz", dst); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "hello again" {
		t.Fatalf("loaded %q", b)
	}
}

func TestLocalDirRoundTrip(t *testing.T) {
	ctx := context.Background()
	l, _ := openTestRepo(t)
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "x"), "1")
	writeFile(t, filepath.Join(src, "sub", "y"), "22")
	if err := os.Symlink("x", filepath.Join(src, "link")); err != nil {
		t.Fatal(err)
	}
	if err := l.Save(ctx, "wf/pod/dir", src); err != nil {
		t.Fatal(err)
	}
	info, err := l.Stat(ctx, "wf/pod/dir")
	if err != nil || !info.Dir || info.Size != 3 {
		t.Fatalf("Stat = %+v, %v", info, err)
	}
	dst := filepath.Join(t.TempDir(), "out")
	if err := l.Load(ctx, "wf/pod/dir", dst); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "sub", "y")); string(b) != "22" {
		t.Fatalf("sub/y = %q", b)
	}
	if link, _ := os.Readlink(filepath.Join(dst, "link")); link != "x" {
		t.Fatalf("link = %q", link)
	}
	// A file inside a saved tree is itself a key.
	if info, err := l.Stat(ctx, "wf/pod/dir/sub/y"); err != nil || info.Size != 2 {
		t.Fatalf("Stat(sub/y) = %+v, %v", info, err)
	}
}

func TestLocalNotFound(t *testing.T) {
	ctx := context.Background()
	l, _ := openTestRepo(t)
	if _, err := l.Stat(ctx, "nope/x.tgz"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Stat: %v, want ErrNotFound", err)
	}
	if err := l.Load(ctx, "nope/x.tgz", filepath.Join(t.TempDir(), "o")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load: %v, want ErrNotFound", err)
	}
	if err := l.Delete(ctx, "nope/x.tgz"); err != nil {
		t.Fatalf("Delete of nothing: %v", err)
	}
}

func TestLocalDeletePrunesEmptyParents(t *testing.T) {
	ctx := context.Background()
	l, dir := openTestRepo(t)
	src := filepath.Join(t.TempDir(), "a")
	writeFile(t, src, "a")
	for _, k := range []string{"wf/p1/a.tgz", "wf/p2/a.tgz"} {
		if err := l.Save(ctx, k, src); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Delete(ctx, "wf/p1/a.tgz"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "wf", "p1")); !os.IsNotExist(err) {
		t.Fatalf("wf/p1 left behind: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "wf", "p2", "a.tgz")); err != nil {
		t.Fatalf("wf/p2/a.tgz gone: %v", err)
	}
}

func TestLocalRefusesHostileKeys(t *testing.T) {
	ctx := context.Background()
	l, _ := openTestRepo(t)
	src := filepath.Join(t.TempDir(), "a")
	writeFile(t, src, "a")
	for _, key := range []string{"", "/etc/passwd", "../x", "a/../../x", "a/./b", "a//b", "..", ".", "a\x00b"} {
		if err := l.Save(ctx, key, src); !errors.Is(err, ErrBadKey) {
			t.Errorf("Save(%q) = %v, want ErrBadKey", key, err)
		}
		if err := l.Load(ctx, key, filepath.Join(t.TempDir(), "o")); !errors.Is(err, ErrBadKey) {
			t.Errorf("Load(%q) = %v, want ErrBadKey", key, err)
		}
		if err := l.Delete(ctx, key); !errors.Is(err, ErrBadKey) {
			t.Errorf("Delete(%q) = %v, want ErrBadKey", key, err)
		}
		if _, err := l.Stat(ctx, key); !errors.Is(err, ErrBadKey) {
			t.Errorf("Stat(%q) = %v, want ErrBadKey", key, err)
		}
	}
}

// A link planted in the repository (a saved tree may hold links) is
// never followed out of it, whatever the operation.
func TestLocalLinksDoNotEscape(t *testing.T) {
	ctx := context.Background()
	l, dir := openTestRepo(t)
	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "secret"), "secret")
	if err := os.Symlink(outside, filepath.Join(dir, "evil")); err != nil {
		t.Fatal(err)
	}
	if err := l.Load(ctx, "evil/secret", filepath.Join(t.TempDir(), "o")); err == nil {
		t.Error("Load through a link out of the repository succeeded")
	}
	if _, err := l.Stat(ctx, "evil/secret"); err == nil {
		t.Error("Stat through a link out of the repository succeeded")
	}
	src := filepath.Join(t.TempDir(), "a")
	writeFile(t, src, "overwritten")
	if err := l.Save(ctx, "evil/secret", src); err == nil {
		t.Error("Save through a link out of the repository succeeded")
	}
	_ = l.Delete(ctx, "evil/secret")
	if b, err := os.ReadFile(filepath.Join(outside, "secret")); err != nil || string(b) != "secret" {
		t.Fatalf("the file outside the repository changed: %q, %v", b, err)
	}
	// The top-level link itself is the repository's, not its target.
	if _, err := l.Stat(ctx, "evil"); err == nil {
		t.Error("Stat of a link reported an artifact")
	}
}
