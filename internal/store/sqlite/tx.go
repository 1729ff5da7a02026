package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/store/wfdoc"
)

type txn struct {
	db *DB
	tx *sql.Tx
	// claimed is set once this transaction raised the lock generation,
	// by ClaimLocks or by its first change of lock state.
	claimed bool
	// session is the one BindSession checked: rows this transaction
	// creates are stamped with it.
	session string
	// stmts are the hot statements this transaction took (stmt).
	stmts map[*sql.Stmt]*sql.Stmt
}

// exec, query and queryRow run a statement in the transaction, their
// errors mapped to the store's (storeError).
// A hot statement (hot.go) runs prepared.
func (t *txn) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	var res sql.Result
	var err error
	if st := t.stmt(ctx, q); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = t.tx.ExecContext(ctx, q, args...)
	}
	return res, t.db.storeError(err)
}

// A hot query's rows must be closed before it runs again: both use the
// one prepared statement.
func (t *txn) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	var rows *sql.Rows
	var err error
	if st := t.stmt(ctx, q); st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = t.tx.QueryContext(ctx, q, args...)
	}
	return rows, t.db.storeError(err)
}

func (t *txn) queryRow(ctx context.Context, q string, args ...any) row {
	if st := t.stmt(ctx, q); st != nil {
		return row{db: t.db, row: st.QueryRowContext(ctx, args...)}
	}
	return row{db: t.db, row: t.tx.QueryRowContext(ctx, q, args...)}
}

// row is a *sql.Row whose Scan maps errors: no row is store.ErrNotFound.
type row struct {
	db  *DB
	row *sql.Row
}

func (r row) Scan(dest ...any) error { return r.db.storeError(r.row.Scan(dest...)) }

func (t *txn) CreateWorkflow(ctx context.Context, wf *wfv1.Workflow) error {
	doc, status, err := wfdoc.Split(wf)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, sqlCreateWorkflow,
		wf.Metadata.UID, wf.Metadata.Namespace, wf.Metadata.Name, wf.Status.Phase, wf.Spec.GetPriority(), wfdoc.Created(wf), status, t.session)
	if errors.Is(err, store.ErrExists) {
		return fmt.Errorf("workflow %s/%s: %w", wf.Metadata.Namespace, wf.Metadata.Name, store.ErrExists)
	}
	if err != nil {
		return err
	}
	if _, err := t.exec(ctx, sqlCreateDoc, wf.Metadata.UID, doc); err != nil {
		return err
	}
	nodes := make([]wfv1.NodeStatus, 0, len(wf.Status.Nodes))
	for _, n := range wf.Status.Nodes {
		nodes = append(nodes, n)
	}
	return t.PutNodes(ctx, wf.Metadata.UID, nodes)
}

func (t *txn) PutWorkflow(ctx context.Context, wf *wfv1.Workflow) error {
	doc, status, err := wfdoc.Split(wf)
	if err != nil {
		return err
	}
	// The session that writes a whole workflow runs it (a retry on
	// another node): it owns it from now on.
	var owner string
	err = t.queryRow(ctx, sqlPutWorkflow, wf.Status.Phase, wf.Spec.GetPriority(), status, wf.Metadata.UID).Scan(&owner)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("workflow %s/%s: %w", wf.Metadata.Namespace, wf.Metadata.Name, store.ErrNotFound)
	}
	if err != nil {
		return err
	}
	if t.session != "" && owner != t.session {
		if _, err := t.exec(ctx, sqlTakeWorkflow, t.session, wf.Metadata.UID); err != nil {
			return err
		}
	}
	_, err = t.exec(ctx, sqlPutDoc, doc, wf.Metadata.UID)
	return err
}

func (t *txn) PutStatus(ctx context.Context, wf *wfv1.Workflow) error {
	doc, err := wfdoc.Status(wf)
	if err != nil {
		return err
	}
	res, err := t.exec(ctx, sqlPutStatus, wf.Status.Phase, doc, wf.Metadata.UID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("workflow %s/%s: %w", wf.Metadata.Namespace, wf.Metadata.Name, store.ErrNotFound)
	}
	return nil
}

func (t *txn) GetWorkflow(ctx context.Context, namespace, name string) (*wfv1.Workflow, error) {
	return t.getWorkflow(ctx, sqlGetWorkflow, namespace+"/"+name, namespace, name)
}

func (t *txn) GetWorkflowByUID(ctx context.Context, uid string) (*wfv1.Workflow, error) {
	return t.getWorkflow(ctx, sqlGetWorkflowByUID, uid, uid)
}

func (t *txn) getWorkflow(ctx context.Context, q, what string, args ...any) (*wfv1.Workflow, error) {
	var doc, status []byte
	err := t.queryRow(ctx, q, args...).Scan(&doc, &status)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("workflow %s: %w", what, store.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	wf, err := wfdoc.Decode(doc, status)
	if err != nil {
		return nil, fmt.Errorf("workflow %s: stored document: %w", what, err)
	}
	if err := t.readNodes(ctx, wf); err != nil {
		return nil, err
	}
	return wf, nil
}

// ListWorkflows pages by (created_at, uid), newest first; the continue
// token encodes the last row returned.
func (t *txn) ListWorkflows(ctx context.Context, opts store.ListOptions) ([]*wfv1.Workflow, string, error) {
	var out []*wfv1.Workflow
	next, err := t.listRows(ctx, opts, wfdoc.Decoded(opts, &out))
	return out, next, err
}

// ListWorkflowsRaw is ListWorkflows as JSON, without decoding the specs.
func (t *txn) ListWorkflowsRaw(ctx context.Context, opts store.ListOptions) ([]json.RawMessage, string, error) {
	var out []json.RawMessage
	next, err := t.listRows(ctx, opts, wfdoc.Raw(opts, &out))
	return out, next, err
}

// listRows runs the list query and hands each row to keep, which says
// whether the row was kept; paging counts kept rows only.
func (t *txn) listRows(ctx context.Context, opts store.ListOptions, keep wfdoc.Keep) (string, error) {
	q := `SELECT w.uid, w.created_at, w.namespace, w.name, d.doc, w.status FROM workflows w JOIN workflow_docs d ON d.uid = w.uid WHERE 1=1`
	var args []any
	if opts.Namespace != "" {
		q += ` AND w.namespace = ?`
		args = append(args, opts.Namespace)
	}
	if opts.Session != "" {
		q += ` AND w.session = ?`
		args = append(args, opts.Session)
	}
	if len(opts.Phases) > 0 {
		q += ` AND w.phase IN (?` + strings.Repeat(",?", len(opts.Phases)-1) + `)`
		for _, p := range opts.Phases {
			args = append(args, p)
		}
	}
	if opts.Continue != "" {
		at, uid, err := wfdoc.DecodeContinue(opts.Continue)
		if err != nil {
			return "", err
		}
		q += ` AND (w.created_at < ? OR (w.created_at = ? AND w.uid < ?))`
		args = append(args, at, at, uid)
	}
	q += ` ORDER BY w.created_at DESC, w.uid DESC`
	if opts.Limit > 0 && opts.Match == nil {
		q += ` LIMIT ?`
		args = append(args, opts.Limit+1)
	}
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	kept := 0
	var lastAt int64
	var lastUID string
	for rows.Next() {
		var uid, namespace, name string
		var at int64
		var doc, status []byte
		if err := rows.Scan(&uid, &at, &namespace, &name, &doc, &status); err != nil {
			return "", err
		}
		if opts.Limit > 0 && kept == opts.Limit {
			// One more row exists; whether it matches is the next page's
			// business.
			return wfdoc.EncodeContinue(lastAt, lastUID), rows.Err()
		}
		ok, err := keep(namespace, name, doc, status)
		if err != nil {
			return "", err
		}
		if ok {
			kept++
			lastAt, lastUID = at, uid
		}
	}
	return "", rows.Err()
}

func (t *txn) DeleteWorkflow(ctx context.Context, uid string) error {
	res, err := t.exec(ctx, `DELETE FROM workflows WHERE uid = ?`, uid)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("workflow %s: %w", uid, store.ErrNotFound)
	}
	return nil
}

func (t *txn) PutLog(ctx context.Context, l store.NodeLog) error {
	_, err := t.exec(ctx, sqlPutLog, l.WorkflowUID, l.NodeID, l.Path)
	return err
}

func (t *txn) Logs(ctx context.Context, uid string) (map[string]string, error) {
	rows, err := t.query(ctx, `SELECT node_id, path FROM logs WHERE workflow_uid = ?`, uid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, path string
		if err := rows.Scan(&id, &path); err != nil {
			return nil, err
		}
		out[id] = path
	}
	return out, rows.Err()
}

func (t *txn) AppendEvents(ctx context.Context, events []store.Event) error {
	args := make([]any, 0, 5*min(len(events), eventsPerInsert))
	for len(events) > 0 {
		n := min(len(events), eventsPerInsert)
		args = args[:0]
		// Rows get their seq in the order of VALUES: the order given.
		for _, e := range events[:n] {
			args = append(args, e.WorkflowUID, e.NodeID, e.At.UnixNano(), e.Type, e.Message)
		}
		if _, err := t.exec(ctx, sqlAppendEvents[n], args...); err != nil {
			return err
		}
		events = events[n:]
	}
	return nil
}

func (t *txn) Events(ctx context.Context, uid string) ([]store.Event, error) {
	rows, err := t.query(ctx, `SELECT node_id, at, type, message FROM events WHERE workflow_uid = ? ORDER BY seq`, uid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		e := store.Event{WorkflowUID: uid}
		var at int64
		if err := rows.Scan(&e.NodeID, &at, &e.Type, &e.Message); err != nil {
			return nil, err
		}
		e.At = time.Unix(0, at)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (t *txn) PutObject(ctx context.Context, o store.Object) error {
	_, err := t.exec(ctx, `INSERT INTO objects (kind, namespace, name, doc, updated_at) VALUES (?,?,?,?,?)
		ON CONFLICT (kind, namespace, name) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at`,
		o.Kind, o.Namespace, o.Name, o.Doc, o.UpdatedAt.UnixNano())
	return err
}

func (t *txn) GetObject(ctx context.Context, key store.ObjectKey) (*store.Object, error) {
	o := store.Object{Kind: key.Kind, Namespace: key.Namespace, Name: key.Name}
	var at int64
	err := t.queryRow(ctx, `SELECT doc, updated_at FROM objects WHERE kind = ? AND namespace = ? AND name = ?`,
		key.Kind, key.Namespace, key.Name).Scan(&o.Doc, &at)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%s: %w", key, store.ErrNotFound)
	}
	o.UpdatedAt = time.Unix(0, at)
	return &o, err
}

func (t *txn) ListObjects(ctx context.Context, opts store.ObjectListOptions) ([]store.Object, error) {
	q := `SELECT namespace, name, doc, updated_at FROM objects WHERE kind = ?`
	args := []any{opts.Kind}
	if opts.Namespace != "" {
		q += ` AND namespace = ?`
		args = append(args, opts.Namespace)
	}
	rows, err := t.query(ctx, q+` ORDER BY namespace, name`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Object
	for rows.Next() {
		o := store.Object{Kind: opts.Kind}
		var at int64
		if err := rows.Scan(&o.Namespace, &o.Name, &o.Doc, &at); err != nil {
			return nil, err
		}
		o.UpdatedAt = time.Unix(0, at)
		out = append(out, o)
	}
	return out, rows.Err()
}

func (t *txn) DeleteObject(ctx context.Context, key store.ObjectKey) error {
	res, err := t.exec(ctx, `DELETE FROM objects WHERE kind = ? AND namespace = ? AND name = ?`, key.Kind, key.Namespace, key.Name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s: %w", key, store.ErrNotFound)
	}
	return nil
}

// LockObject needs nothing more on SQLite: every write transaction holds
// the database's one write lock from BEGIN (IMMEDIATE) to its end.
func (t *txn) LockObject(context.Context, store.ObjectKey) error { return nil }
