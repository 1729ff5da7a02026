package s3repo

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/artifacts"
	"github.com/semaflow/semaflow/internal/testkit/weed"
)

// Open streams one object from the real server, says a tree of objects
// is one, and List names a tree's objects: what the server's download
// paths use for an artifact held in S3.
func TestS3OpenAndListAgainstWeed(t *testing.T) {
	w := weed.Start(t)
	d := newDriver(t, w)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	src := t.TempDir()
	file := filepath.Join(src, "f.tgz")
	must(t, os.WriteFile(file, []byte("stream me"), 0o600))
	must(t, d.Save(ctx, "wf/pod/f.tgz", file))
	tree := filepath.Join(src, "tree")
	must(t, os.MkdirAll(filepath.Join(tree, "sub"), 0o700))
	must(t, os.WriteFile(filepath.Join(tree, "top.txt"), []byte("top"), 0o600))
	must(t, os.WriteFile(filepath.Join(tree, "sub", "a.txt"), []byte("a"), 0o600))
	must(t, d.Save(ctx, "wf/pod/tree", tree))

	rc, info, err := d.Open(ctx, "wf/pod/f.tgz")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	_ = rc.Close()
	if err != nil || string(b) != "stream me" || info.Size != 9 {
		t.Fatalf("Open: %q size %d, %v", b, info.Size, err)
	}
	if _, _, err := d.Open(ctx, "wf/pod/tree"); !errors.Is(err, artifacts.ErrIsTree) {
		t.Errorf("Open(tree) = %v, want ErrIsTree", err)
	}
	if _, _, err := d.Open(ctx, "wf/pod/none"); !errors.Is(err, artifacts.ErrNotFound) {
		t.Errorf("Open(missing) = %v, want ErrNotFound", err)
	}
	keys, err := d.List(ctx, "wf/pod/tree")
	if want := []string{"wf/pod/tree/sub/a.txt", "wf/pod/tree/top.txt"}; err != nil || !slices.Equal(keys, want) {
		t.Errorf("List(tree) = %q, %v, want %q", keys, err, want)
	}
	if keys, err := d.List(ctx, "wf/pod/f.tgz"); err != nil || !slices.Equal(keys, []string{"wf/pod/f.tgz"}) {
		t.Errorf("List(object) = %q, %v", keys, err)
	}
	if _, err := d.List(ctx, "wf/pod/none"); !errors.Is(err, artifacts.ErrNotFound) {
		t.Errorf("List(missing) = %v, want ErrNotFound", err)
	}
}
