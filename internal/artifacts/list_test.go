package artifacts

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// List gives the keys of the files stored under a key, as S3's
// ListObjects gives a data template's artifactPaths: a file is its own
// key, a tree its files' keys in order; links are not followed.
func TestLocalList(t *testing.T) {
	l, dir := openTestRepo(t)
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "a", "main.log"), "1")
	writeFile(t, filepath.Join(src, "b", "other.txt"), "2")
	writeFile(t, filepath.Join(src, "main.log"), "3")
	if err := l.Save(t.Context(), "wf/pod/logs", src); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(src, "one.txt"), "x")
	if err := l.Save(t.Context(), "wf/pod/one.txt", filepath.Join(src, "one.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc", filepath.Join(dir, "wf", "pod", "logs", "escape")); err != nil {
		t.Fatal(err)
	}
	got, err := l.List(t.Context(), "wf/pod/logs")
	if want := []string{"wf/pod/logs/a/main.log", "wf/pod/logs/b/other.txt", "wf/pod/logs/main.log"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("List of a tree: %v %v, want %v", got, err, want)
	}
	if got, err := l.List(t.Context(), "wf/pod/one.txt"); err != nil || !slices.Equal(got, []string{"wf/pod/one.txt"}) {
		t.Fatalf("List of a file: %v %v", got, err)
	}
	if _, err := l.List(t.Context(), "wf/none"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("List of nothing: %v, want ErrNotFound", err)
	}
	if _, err := l.List(t.Context(), "../x"); !errors.Is(err, ErrBadKey) {
		t.Fatalf("List of a hostile key: %v, want ErrBadKey", err)
	}
}
