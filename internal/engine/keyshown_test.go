package engine

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semaflow/semaflow/internal/artifacts"
	"github.com/semaflow/semaflow/internal/artifacts/repos"
)

// A driver's error names the key the user gave, not the namespace
// directory the local repository keeps it under, and still is what it is.
func TestDriverErrorsShowTheUsersKey(t *testing.T) {
	l, err := artifacts.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	key, err := repos.NamespacedKey("team-b", "wf/pod/a.tgz")
	if err != nil {
		t.Fatal(err)
	}
	err = showKey(artifacts.Fetch(context.Background(), l, key, "", filepath.Join(t.TempDir(), "x")), key, "wf/pod/a.tgz")
	if !errors.Is(err, artifacts.ErrNotFound) || strings.Contains(err.Error(), repos.NamespacesDir) || !strings.Contains(err.Error(), "wf/pod/a.tgz") {
		t.Fatalf("got %v, want ErrNotFound naming wf/pod/a.tgz only", err)
	}
}
