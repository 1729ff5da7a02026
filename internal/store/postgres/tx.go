package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/store/wfdoc"
)

// querier is what a transaction runs its statements on: a pgx.Tx
// (View), or a pooled connection whose transaction Update drives by hand.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	Conn() *pgx.Conn
}

type txn struct {
	s *Store
	q querier
	// claimed is set once this transaction raised the lock generation,
	// by ClaimLocks or by its first change of lock state.
	claimed bool
	// session is the one BindSession checked: rows this transaction
	// creates are stamped with it, and its notices name it.
	session string
	// notices are what the commit sends, each once (notify.go).
	notices []store.Notice
	noted   map[store.Notice]bool
	// failed is the first statement that failed: PostgreSQL ends the
	// transaction there, so a commit after it rolls back.
	failed error
	// deferred are lock-state writes not sent yet, and what each does
	// (for errors). They go in one round trip before the transaction's
	// next statement or with its notices at commit: a lock decision
	// writes several rows while every node's decisions wait for it.
	deferred     *pgx.Batch
	deferredWhat []string
	// seq is the last lock sequence number taken, known since a claim
	// (seqHeld); seqDirty until it is stored (NextLockSeq).
	seq               int64
	seqHeld, seqDirty bool
}

// later queues a statement for the next flush: the BEGIN of Update's
// transaction, or a lock-state write. Lock tables have no constraints a
// write could break, so what fails there is the connection or the
// server, which ends the transaction whenever it is seen: the error comes
// from the flush, before any later statement runs or the transaction
// commits.
func (t *txn) later(what, q string, args ...any) *pgx.QueuedQuery {
	if t.deferred == nil {
		t.deferred = &pgx.Batch{}
	}
	t.deferredWhat = append(t.deferredWhat, what)
	qq := t.deferred.Queue(q, args...)
	qq.Exec(func(pgconn.CommandTag) error { return nil })
	return qq
}

// flush sends the deferred statements, in one round trip.
func (t *txn) flush(ctx context.Context) error {
	return t.send(ctx, "run the transaction's deferred statements", nil)
}

// send sends the deferred statements and then b's, in one round trip;
// what names b's in errors.
func (t *txn) send(ctx context.Context, what string, b *pgx.Batch) error {
	t.storeSeq()
	n := 0
	if t.deferred != nil {
		n = t.deferred.Len()
	}
	if n == 0 && (b == nil || b.Len() == 0) {
		return nil
	}
	all := &pgx.Batch{}
	whats := t.deferredWhat
	if n > 0 {
		all.QueuedQueries = append(all.QueuedQueries, t.deferred.QueuedQueries...)
	}
	t.deferred, t.deferredWhat = nil, nil
	if b != nil {
		all.QueuedQueries = append(all.QueuedQueries, b.QueuedQueries...)
	}
	failed := -1
	for i, qq := range all.QueuedQueries {
		inner := qq.Fn
		qq.Fn = func(br pgx.BatchResults) error {
			var err error
			if inner != nil {
				err = inner(br)
			} else {
				_, err = br.Exec()
			}
			if err != nil && failed < 0 {
				failed = i
			}
			return err
		}
	}
	err := t.q.SendBatch(ctx, all).Close()
	if failed >= 0 && failed < n {
		what = whats[failed]
	}
	return t.fail(ctx, what, err)
}

// commit sends the deferred statements, the notices and COMMIT in one
// round trip; tag is COMMIT's (ROLLBACK when the transaction had failed).
func (t *txn) commit(ctx context.Context, tag *pgconn.CommandTag) error {
	// Before COMMIT: the next claim reads the last number taken.
	t.storeSeq()
	t.queueNotices()
	t.later("commit", `COMMIT`).Exec(func(ct pgconn.CommandTag) error {
		*tag = ct
		return nil
	})
	return t.flush(ctx)
}

// rollback ends Update's transaction, if it began, even when the
// caller's context is done, so that the connection goes back to the pool
// clean (one that cannot roll back is closed by the pool).
func (t *txn) rollback() {
	if t.q.Conn().PgConn().TxStatus() == 'I' {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = t.q.Exec(ctx, `ROLLBACK`)
}

// fail maps a statement's error (storeError), remembering the first one
// that ended the transaction.
func (t *txn) fail(ctx context.Context, what string, err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "25P02" && t.failed != nil {
		return fmt.Errorf("%s: the transaction ended at an earlier failed statement (%w): %w", what, t.failed, err)
	}
	if t.failed == nil && !errors.Is(err, pgx.ErrNoRows) {
		t.failed = fmt.Errorf("%s: %w", what, err)
	}
	return t.s.storeError(ctx, what, err)
}

// exec, query and one run a statement in the transaction, their errors
// mapped to the store's, naming what was being done.
// Each first sends the deferred writes, so that every statement sees them.
func (t *txn) exec(ctx context.Context, what, q string, args ...any) (pgconn.CommandTag, error) {
	if err := t.flush(ctx); err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := t.q.Exec(ctx, q, args...)
	return tag, t.fail(ctx, what, err)
}

func (t *txn) query(ctx context.Context, what, q string, args ...any) (pgx.Rows, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	rows, err := t.q.Query(ctx, q, args...)
	return rows, t.fail(ctx, what, err)
}

// one scans the single row q returns into dest; no row is
// store.ErrNotFound.
func (t *txn) one(ctx context.Context, what, q string, args []any, dest ...any) error {
	if err := t.flush(ctx); err != nil {
		return err
	}
	return t.fail(ctx, what, t.q.QueryRow(ctx, q, args...).Scan(dest...))
}

// batch sends queued statements in one round trip, after the deferred
// ones (in the same round trip).
func (t *txn) batch(ctx context.Context, what string, b *pgx.Batch) error {
	return t.send(ctx, what, b)
}

func wfName(wf *wfv1.Workflow) string {
	return "workflow " + wf.Metadata.Namespace + "/" + wf.Metadata.Name
}

func (t *txn) CreateWorkflow(ctx context.Context, wf *wfv1.Workflow) error {
	doc, status, err := wfdoc.Split(wf)
	if err != nil {
		return err
	}
	// ON CONFLICT keeps the transaction alive: a unique violation would
	// end it, and callers may go on after ErrExists.
	tag, err := t.exec(ctx, "store "+wfName(wf), `INSERT INTO workflows (uid, namespace, name, phase, priority, created_at, doc, status, session)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT DO NOTHING`,
		wf.Metadata.UID, wf.Metadata.Namespace, wf.Metadata.Name, wf.Status.Phase, wf.Spec.GetPriority(), wfdoc.Created(wf), doc, status, t.session)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", wfName(wf), store.ErrExists)
	}
	t.note(store.TopicWorkflow, wf.Metadata.UID)
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
	tag, err := t.exec(ctx, "store "+wfName(wf), `UPDATE workflows SET phase = $1, priority = $2, doc = $3, status = $4,
		session = CASE WHEN $6 = '' THEN session ELSE $6 END WHERE uid = $5`,
		wf.Status.Phase, wf.Spec.GetPriority(), doc, status, wf.Metadata.UID, t.session)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", wfName(wf), store.ErrNotFound)
	}
	t.note(store.TopicWorkflow, wf.Metadata.UID)
	return nil
}

func (t *txn) PutStatus(ctx context.Context, wf *wfv1.Workflow) error {
	doc, err := wfdoc.Status(wf)
	if err != nil {
		return err
	}
	tag, err := t.exec(ctx, "store the status of "+wfName(wf), `UPDATE workflows SET phase = $1, status = $2 WHERE uid = $3`,
		wf.Status.Phase, doc, wf.Metadata.UID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", wfName(wf), store.ErrNotFound)
	}
	t.note(store.TopicWorkflow, wf.Metadata.UID)
	return nil
}

func (t *txn) PutNodes(ctx context.Context, uid string, nodes []wfv1.NodeStatus) error {
	if len(nodes) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for i := range nodes {
		doc, err := json.Marshal(&nodes[i])
		if err != nil {
			return err
		}
		b.Queue(`INSERT INTO nodes (workflow_uid, id, phase, doc) VALUES ($1,$2,$3,$4)
			ON CONFLICT (workflow_uid, id) DO UPDATE SET phase = excluded.phase, doc = excluded.doc`,
			uid, nodes[i].ID, nodes[i].Phase, doc)
	}
	if err := t.batch(ctx, "store nodes of workflow "+uid, b); err != nil {
		return err
	}
	t.note(store.TopicWorkflow, uid)
	return nil
}

func (t *txn) DeleteNodes(ctx context.Context, uid string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := t.exec(ctx, "delete nodes of workflow "+uid, `DELETE FROM nodes WHERE workflow_uid = $1 AND id = ANY($2)`, uid, ids); err != nil {
		return err
	}
	t.note(store.TopicWorkflow, uid)
	return nil
}

func (t *txn) GetWorkflow(ctx context.Context, namespace, name string) (*wfv1.Workflow, error) {
	return t.getWorkflow(ctx, `SELECT doc, status FROM workflows WHERE namespace = $1 AND name = $2`, namespace+"/"+name, namespace, name)
}

func (t *txn) GetWorkflowByUID(ctx context.Context, uid string) (*wfv1.Workflow, error) {
	return t.getWorkflow(ctx, `SELECT doc, status FROM workflows WHERE uid = $1`, uid, uid)
}

func (t *txn) getWorkflow(ctx context.Context, q, what string, args ...any) (*wfv1.Workflow, error) {
	var doc, status []byte
	err := t.one(ctx, "read workflow "+what, q, args, &doc, &status)
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
	rows, err := t.query(ctx, "read nodes of workflow "+what, `SELECT doc FROM nodes WHERE workflow_uid = $1`, wf.Metadata.UID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var nd []byte
		if err := rows.Scan(&nd); err != nil {
			return nil, t.fail(ctx, "read nodes of workflow "+what, err)
		}
		var n wfv1.NodeStatus
		if err := json.Unmarshal(nd, &n); err != nil {
			return nil, fmt.Errorf("workflow %s: stored node: %w", what, err)
		}
		if wf.Status.Nodes == nil {
			wf.Status.Nodes = map[string]wfv1.NodeStatus{}
		}
		wf.Status.Nodes[n.ID] = n
	}
	return wf, t.fail(ctx, "read nodes of workflow "+what, rows.Err())
}

// ListWorkflows pages by (created_at, uid), newest first; the continue
// token encodes the last row returned, as SQLite's does.
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
	var q strings.Builder
	q.WriteString(`SELECT uid, created_at, namespace, name, doc, status FROM workflows WHERE true`)
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if opts.Namespace != "" {
		q.WriteString(` AND namespace = ` + arg(opts.Namespace))
	}
	if opts.Session != "" {
		q.WriteString(` AND session = ` + arg(opts.Session))
	}
	if len(opts.Phases) > 0 {
		q.WriteString(` AND phase = ANY(` + arg(opts.Phases) + `)`)
	}
	if opts.Continue != "" {
		at, uid, err := wfdoc.DecodeContinue(opts.Continue)
		if err != nil {
			return "", err
		}
		q.WriteString(` AND (created_at, uid) < (` + arg(at) + `, ` + arg(uid) + `)`)
	}
	q.WriteString(` ORDER BY created_at DESC, uid DESC`)
	if opts.Limit > 0 && opts.Match == nil {
		q.WriteString(` LIMIT ` + arg(opts.Limit+1))
	}
	const what = "list workflows"
	rows, err := t.query(ctx, what, q.String(), args...)
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
			return "", t.fail(ctx, what, err)
		}
		if opts.Limit > 0 && kept == opts.Limit {
			// One more row exists; whether it matches is the next page's
			// business.
			return wfdoc.EncodeContinue(lastAt, lastUID), nil
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
	return "", t.fail(ctx, what, rows.Err())
}

func (t *txn) DeleteWorkflow(ctx context.Context, uid string) error {
	tag, err := t.exec(ctx, "delete workflow "+uid, `DELETE FROM workflows WHERE uid = $1`, uid)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("workflow %s: %w", uid, store.ErrNotFound)
	}
	t.note(store.TopicWorkflow, uid)
	return nil
}

func (t *txn) PutLog(ctx context.Context, l store.NodeLog) error {
	_, err := t.exec(ctx, "record the log of node "+l.NodeID, `INSERT INTO logs (workflow_uid, node_id, path) VALUES ($1,$2,$3)
		ON CONFLICT (workflow_uid, node_id) DO UPDATE SET path = excluded.path`, l.WorkflowUID, l.NodeID, l.Path)
	return err
}

func (t *txn) Logs(ctx context.Context, uid string) (map[string]string, error) {
	what := "read the logs of workflow " + uid
	rows, err := t.query(ctx, what, `SELECT node_id, path FROM logs WHERE workflow_uid = $1`, uid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, path string
		if err := rows.Scan(&id, &path); err != nil {
			return nil, t.fail(ctx, what, err)
		}
		out[id] = path
	}
	return out, t.fail(ctx, what, rows.Err())
}

// text makes s storable in a TEXT column, which takes neither NUL bytes
// nor invalid UTF-8 (SQLite takes both): an event's message may quote a
// step's output.
func text(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

func (t *txn) AppendEvents(ctx context.Context, events []store.Event) error {
	b := &pgx.Batch{}
	for _, e := range events {
		b.Queue(`INSERT INTO events (workflow_uid, node_id, at, type, message) VALUES ($1,$2,$3,$4,$5)`,
			e.WorkflowUID, text(e.NodeID), e.At.UnixNano(), text(e.Type), text(e.Message))
	}
	return t.batch(ctx, "append events", b)
}

func (t *txn) Events(ctx context.Context, uid string) ([]store.Event, error) {
	what := "read the events of workflow " + uid
	rows, err := t.query(ctx, what, `SELECT node_id, at, type, message FROM events WHERE workflow_uid = $1 ORDER BY seq`, uid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		e := store.Event{WorkflowUID: uid}
		var at int64
		if err := rows.Scan(&e.NodeID, &at, &e.Type, &e.Message); err != nil {
			return nil, t.fail(ctx, what, err)
		}
		e.At = time.Unix(0, at)
		out = append(out, e)
	}
	return out, t.fail(ctx, what, rows.Err())
}

func (t *txn) PutObject(ctx context.Context, o store.Object) error {
	key := o.Key()
	if _, err := t.exec(ctx, "store "+key.String(), `INSERT INTO objects (kind, namespace, name, doc, updated_at) VALUES ($1,$2,$3,$4,$5)
		ON CONFLICT (kind, namespace, name) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at`,
		o.Kind, o.Namespace, o.Name, o.Doc, o.UpdatedAt.UnixNano()); err != nil {
		return err
	}
	t.note(store.TopicObject, key.String())
	return nil
}

func (t *txn) GetObject(ctx context.Context, key store.ObjectKey) (*store.Object, error) {
	o := store.Object{Kind: key.Kind, Namespace: key.Namespace, Name: key.Name}
	var at int64
	err := t.one(ctx, "read "+key.String(), `SELECT doc, updated_at FROM objects WHERE kind = $1 AND namespace = $2 AND name = $3`,
		[]any{key.Kind, key.Namespace, key.Name}, &o.Doc, &at)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%s: %w", key, store.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	o.UpdatedAt = time.Unix(0, at)
	return &o, nil
}

func (t *txn) ListObjects(ctx context.Context, opts store.ObjectListOptions) ([]store.Object, error) {
	q := `SELECT namespace, name, doc, updated_at FROM objects WHERE kind = $1`
	args := []any{opts.Kind}
	if opts.Namespace != "" {
		q += ` AND namespace = $2`
		args = append(args, opts.Namespace)
	}
	what := "list " + opts.Kind + " objects"
	rows, err := t.query(ctx, what, q+` ORDER BY namespace, name`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Object
	for rows.Next() {
		o := store.Object{Kind: opts.Kind}
		var at int64
		if err := rows.Scan(&o.Namespace, &o.Name, &o.Doc, &at); err != nil {
			return nil, t.fail(ctx, what, err)
		}
		o.UpdatedAt = time.Unix(0, at)
		out = append(out, o)
	}
	return out, t.fail(ctx, what, rows.Err())
}

func (t *txn) DeleteObject(ctx context.Context, key store.ObjectKey) error {
	tag, err := t.exec(ctx, "delete "+key.String(), `DELETE FROM objects WHERE kind = $1 AND namespace = $2 AND name = $3`,
		key.Kind, key.Namespace, key.Name)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", key, store.ErrNotFound)
	}
	t.note(store.TopicObject, key.String())
	return nil
}

// LockObject takes a transaction-scoped advisory lock named by the key's
// hash: it works before the object's row exists, which a row lock
// (SELECT ... FOR UPDATE) would not. Two keys of one hash only wait for
// each other.
func (t *txn) LockObject(ctx context.Context, key store.ObjectKey) error {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key.String()))
	_, err := t.exec(ctx, "lock "+key.String(), `SELECT pg_advisory_xact_lock($1, $2)`, objectLockClass, int32(h.Sum32()))
	return err
}
