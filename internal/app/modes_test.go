package app

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/semaflow/semaflow/internal/testkit"
)

// The database, its WAL, the data directory and every step's files are
// the server's alone (steps run as another user): 0600 files, 0700
// directories, whatever the umask and even for a database file that was
// made with wider permissions.
func TestDataFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "modes.db")
	if err := os.WriteFile(db, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := Start(ctx, Options{DB: db, Self: testkit.Binary(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	wf := testkit.ParseWorkflow(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: modes}
spec:
  entrypoint: main
  templates:
  - name: main
    inputs:
      artifacts: [{name: in, path: /tmp/in/data.txt, raw: {data: hello}}]
    outputs:
      parameters: [{name: out, valueFrom: {path: /tmp/in/data.txt}}]
    script: {image: x, command: [sh], source: "cat /tmp/in/data.txt"}
`)
	testkit.RunWorkflow(t, l.Engine, wf)
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, st.Mode().Perm())
		}
	}
	files := 0
	err = filepath.WalkDir(l.DataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch perm := info.Mode().Perm(); {
		case d.IsDir() && perm != 0o700:
			t.Errorf("directory %s has mode %v, want 0700", path, perm)
		case !d.IsDir():
			files++
			if perm&0o077 != 0 {
				t.Errorf("file %s has mode %v, want no access for group and others", path, perm)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 4 {
		t.Fatalf("only %d files under %s: the step left nothing to check", files, l.DataDir)
	}
}
