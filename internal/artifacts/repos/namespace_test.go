package repos

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/artifacts"
)

// TestLocalKeysAreConfinedToTheNamespace: the engine's repository is
// shared by every namespace, so the same key of two namespaces must be
// two artifacts: team-b neither reads, overwrites nor deletes team-a's.
func TestLocalKeysAreConfinedToTheNamespace(t *testing.T) {
	local, err := artifacts.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	l := &Locator{Local: func() (artifacts.Driver, error) { return local, nil }}
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "f")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(src, []byte("team-a's"), 0o600))
	loc := &wfv1.S3Artifact{Key: "wf/pod/a.tgz"}
	da, ka, err := l.Open("team-a", loc)
	must(err)
	must(da.Save(ctx, ka, src))
	db, kb, err := l.Open("team-b", loc)
	must(err)
	if _, err := db.Stat(ctx, kb); !errors.Is(err, artifacts.ErrNotFound) {
		t.Fatalf("team-b stats team-a's key: %v, want ErrNotFound", err)
	}
	must(os.WriteFile(src, []byte("team-b's"), 0o600))
	must(db.Save(ctx, kb, src))
	must(db.Delete(ctx, kb))
	dst := filepath.Join(t.TempDir(), "out")
	must(da.Load(ctx, ka, dst))
	if b, _ := os.ReadFile(dst); string(b) != "team-a's" {
		t.Fatalf("team-a's artifact is %q after team-b saved and deleted the same key", b)
	}
	// A namespace's key never spells another's place.
	for _, k := range []string{"../team-a/wf/pod/a.tgz", "_ns/team-a/wf/pod/a.tgz"} {
		d, key, err := l.Open("team-b", &wfv1.S3Artifact{Key: k})
		if err != nil {
			continue
		}
		if _, err := d.Stat(ctx, key); err == nil {
			t.Errorf("team-b reached team-a's artifact by key %q (%s)", k, key)
		}
	}
}
