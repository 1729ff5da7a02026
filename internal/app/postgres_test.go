package app

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/store/postgres"
	"github.com/semaflow/semaflow/internal/testkit"
)

const pgWorkflow = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: on-postgres}
spec:
  entrypoint: main
  templates:
  - name: main
    script: {image: x, command: [sh], source: "echo hello"}
`

// TestStartOnPostgres: --db postgres://... and postgresql://... open the
// PostgreSQL driver, an engine runs a workflow on it, and what users are
// shown of the database never holds its password.
func TestStartOnPostgres(t *testing.T) {
	ctx := context.Background()
	for _, scheme := range []string{"postgres", "postgresql"} {
		t.Run(scheme, func(t *testing.T) {
			dsn := strings.Replace(testkit.NewDatabase(t), "postgres://postgres@", scheme+"://postgres:hunter2-pw@", 1)
			a, err := Start(ctx, Options{DB: dsn, DataDir: t.TempDir(), Self: testkit.Binary(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if _, ok := a.Store.(*postgres.Store); !ok {
				t.Fatalf("--db %s opened %T, want the PostgreSQL driver", scheme+"://...", a.Store)
			}
			if strings.Contains(a.DBPath, "hunter2-pw") || !strings.Contains(a.DBPath, "127.0.0.1") {
				t.Fatalf("the database is shown as %q: with its password, or without its address", a.DBPath)
			}
			wf := testkit.RunWorkflow(t, a.Engine, testkit.ParseWorkflow(t, pgWorkflow))
			if wf.Status.Phase != wfv1.PhaseSucceeded {
				t.Fatalf("workflow ended %s: %s", wf.Status.Phase, wf.Status.Message)
			}
		})
	}
}

// TestPostgresDataDir: with a DSN, the data directory is not a path
// beside the database (there is no file) but one per database in the
// user's data directory, unless --data gives one.
func TestPostgresDataDir(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	dsn := testkit.NewDatabase(t)
	a, err := Start(context.Background(), Options{DB: dsn, Self: testkit.Binary(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	want := filepath.Join(os.Getenv("XDG_DATA_HOME"), "semaflow")
	if filepath.Dir(a.DataDir) != want || !strings.HasSuffix(a.DataDir, ".data") {
		t.Fatalf("data directory %s, want one in %s", a.DataDir, want)
	}
	if st, err := os.Stat(a.DataDir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("data directory %s: %v %v, want a 0700 directory", a.DataDir, st, err)
	}
}

// TestOpenStorePostgres: the commands that only read a database (sync
// list --db) read a PostgreSQL one too.
func TestOpenStorePostgres(t *testing.T) {
	ctx := context.Background()
	dsn := testkit.NewDatabase(t)
	s, err := OpenStore(ctx, dsn, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.PutLockLimit(ctx, "default/Database/db", 3) }); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	views, err := LockViews(ctx, dsn, "")
	if err != nil || len(views) != 1 {
		t.Fatalf("lock views of a PostgreSQL database: %+v, %v", views, err)
	}
}

// TestPostgresUnreachable: a server that cannot be reached is said so,
// as store.ErrUnavailable, without the DSN's password.
func TestPostgresUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	dsn := "postgres://semaflow:hunter2-pw@127.0.0.1:" + strconv.Itoa(port) + "/semaflow?sslmode=disable"
	_, err = Start(context.Background(), Options{DB: dsn, DataDir: t.TempDir(), Self: testkit.Binary(t)})
	if !errors.Is(err, store.ErrUnavailable) || strings.Contains(err.Error(), "hunter2-pw") {
		t.Fatalf("starting on an unreachable server: %v, want ErrUnavailable without the password", err)
	}
}
