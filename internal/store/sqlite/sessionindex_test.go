package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
)

// walFrames is how many pages the WAL holds: its header, then a 24-byte
// header and a page per frame.
func walFrames(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() <= 32 {
		return 0
	}
	return (fi.Size() - 32) / (24 + 4096)
}

// A whole write by the session that owns the workflow leaves the session
// index alone: SQLite rewrites an index's entry whenever an UPDATE sets
// its column, even to the value it had, so the owner is set only when it
// changes. The commit writes the workflow's page alone (the document is
// unchanged). A write by another session still takes the workflow.
func TestPutWorkflowKeepsSessionIndexWhenOwnerStays(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Unix(1, 0)
	for _, id := range []string{"s1", "s2"} {
		if err := db.Update(ctx, func(tx store.Tx) error {
			return tx.OpenSession(ctx, store.Session{ID: id, Kind: "run", Host: "h", PID: 1, Started: now, Expires: now.Add(time.Hour)})
		}); err != nil {
			t.Fatal(err)
		}
	}
	wf := &wfv1.Workflow{Metadata: wfv1.ObjectMeta{Name: "w", Namespace: "default", UID: "u1", CreationTimestamp: &now},
		Status: wfv1.WorkflowStatus{Phase: wfv1.PhasePending}}
	put := func(session string, write func(store.Tx) error) {
		t.Helper()
		if err := db.Update(ctx, func(tx store.Tx) error {
			if err := tx.BindSession(ctx, session); err != nil {
				return err
			}
			return write(tx)
		}); err != nil {
			t.Fatal(err)
		}
	}
	put("s1", func(tx store.Tx) error { return tx.CreateWorkflow(ctx, wf) })
	if _, err := db.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	wf.Status.Phase = wfv1.PhaseRunning
	put("s1", func(tx store.Tx) error { return tx.PutWorkflow(ctx, wf) })
	if n := walFrames(t, path); n != 1 {
		t.Errorf("a whole write by the owner committed %d pages, want 1 (the workflow's)", n)
	}
	owner := func() string {
		t.Helper()
		var s string
		if err := db.db.QueryRowContext(ctx, `SELECT session FROM workflows WHERE uid = 'u1'`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := owner(); s != "s1" {
		t.Fatalf("owner %q, want s1", s)
	}
	put("s2", func(tx store.Tx) error { return tx.PutWorkflow(ctx, wf) })
	if s := owner(); s != "s2" {
		t.Errorf("after a whole write by s2, owner %q, want s2", s)
	}
	var listed int
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM workflows INDEXED BY workflows_session WHERE session = 's2'`).Scan(&listed); err != nil {
		t.Fatal(err)
	}
	if listed != 1 {
		t.Errorf("the session index finds %d workflows of s2, want 1", listed)
	}
}
