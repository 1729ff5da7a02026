package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
)

// applyUpTo migrates a new database at path to version last only, as a
// semaflow of that version left it.
func applyUpTo(t *testing.T, path string, last int) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	ctx := context.Background()
	if _, err := raw.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	for v := 1; v <= last; v++ {
		names, err := migrations.ReadDir("migrations")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range names {
			if e.Name()[:4] != fmt.Sprintf("%04d", v) {
				continue
			}
			body, err := migrations.ReadFile("migrations/" + e.Name())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := raw.ExecContext(ctx, string(body)); err != nil {
				t.Fatalf("%s: %v", e.Name(), err)
			}
			if _, err := raw.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	return raw
}

// TestHotRowsMigratesExistingData: a database written before 0012 keeps
// its workflows (document and status), nodes, events in their order, log
// paths and archived labels, and takes new ones after it.
func TestHotRowsMigratesExistingData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	raw := applyUpTo(t, path, 11)
	for _, q := range []string{
		`INSERT INTO workflows (uid, namespace, name, phase, created_at, doc, status, session)
			VALUES ('u1', 'default', 'w1', 'Running', 1, '{"metadata":{"name":"w1","namespace":"default","uid":"u1"},"spec":{"entrypoint":"main"},"status":{}}', '{"phase":"Running"}', 's1')`,
		`INSERT INTO nodes (workflow_uid, id, phase, doc) VALUES ('u1', 'n1', 'Running', '{"id":"n1","name":"w1","phase":"Running"}')`,
		`INSERT INTO events (workflow_uid, node_id, at, type, message) VALUES ('u1', 'n1', 5, 'StepLaunched', 'first')`,
		`INSERT INTO events (workflow_uid, node_id, at, type, message) VALUES ('u1', 'n1', 5, 'StepExited', 'second')`,
		`INSERT INTO logs (workflow_uid, node_id, path) VALUES ('u1', 'n1', '/data/n1/log')`,
		`INSERT INTO archived_workflows (uid, namespace, name, phase, created_at, finished_at, doc, nodes)
			VALUES ('a1', 'default', 'old', 'Succeeded', 1, 2, '{"metadata":{"name":"old","namespace":"default","uid":"a1"}}', '{}')`,
		`INSERT INTO archived_workflow_labels (uid, key, value) VALUES ('a1', 'team', 'blue')`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("migrating a 0011 database: %v", err)
	}
	defer db.Close()
	err = db.Update(ctx, func(tx store.Tx) error {
		wf, err := tx.GetWorkflow(ctx, "default", "w1")
		if err != nil {
			return err
		}
		if wf.Spec.Entrypoint != "main" || wf.Status.Phase != wfv1.PhaseRunning || wf.Status.Nodes["n1"].Phase != wfv1.PhaseRunning {
			return fmt.Errorf("migrated workflow: entrypoint %q, phase %q, nodes %v", wf.Spec.Entrypoint, wf.Status.Phase, wf.Status.Nodes)
		}
		list, _, err := tx.ListWorkflows(ctx, store.ListOptions{Session: "s1"})
		if err != nil || len(list) != 1 || list[0].Spec.Entrypoint != "main" {
			return fmt.Errorf("list of session s1: %v, %w", list, err)
		}
		if err := tx.AppendEvents(ctx, []store.Event{{WorkflowUID: "u1", NodeID: "n1", At: time.Unix(0, 5), Type: "WorkflowSucceeded", Message: "third"}}); err != nil {
			return err
		}
		evs, err := tx.Events(ctx, "u1")
		if err != nil {
			return err
		}
		var got []string
		for _, e := range evs {
			got = append(got, e.Message)
		}
		if !slices.Equal(got, []string{"first", "second", "third"}) {
			return fmt.Errorf("events after the migration: %v", got)
		}
		logs, err := tx.Logs(ctx, "u1")
		if err != nil || logs["n1"] != "/data/n1/log" {
			return fmt.Errorf("logs: %v, %w", logs, err)
		}
		values, err := tx.ArchivedLabelValues(ctx, "team", nil)
		if err != nil || !slices.Equal(values, []string{"blue"}) {
			return fmt.Errorf("archived label values: %v, %w", values, err)
		}
		wf.Spec.Entrypoint = "other"
		if err := tx.PutWorkflow(ctx, wf); err != nil {
			return err
		}
		again, err := tx.GetWorkflowByUID(ctx, "u1")
		if err != nil || again.Spec.Entrypoint != "other" {
			return fmt.Errorf("after PutWorkflow: %v, %w", again, err)
		}
		// The cascade still reaches every table that moved.
		return tx.DeleteWorkflow(ctx, "u1")
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"workflow_docs", "events", "logs", "nodes"} {
		var n int
		if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s after the workflow's delete: %d rows, %v", table, n, err)
		}
	}
}
