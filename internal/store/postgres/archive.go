package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/store/wfdoc"
)

func (t *txn) ArchiveWorkflow(ctx context.Context, wf *wfv1.Workflow) error {
	a, err := wfdoc.Archive(wf)
	if err != nil {
		return err
	}
	what := "archive workflow " + a.Namespace + "/" + a.Name
	if _, err := t.exec(ctx, what, `INSERT INTO archived_workflows (uid, namespace, name, phase, created_at, finished_at, doc, nodes)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (uid) DO UPDATE SET namespace = excluded.namespace, name = excluded.name,
		phase = excluded.phase, created_at = excluded.created_at, finished_at = excluded.finished_at,
		doc = excluded.doc, nodes = excluded.nodes`,
		a.UID, a.Namespace, a.Name, a.Phase, a.Created, a.Finished, a.Doc, a.Nodes); err != nil {
		return err
	}
	if _, err := t.exec(ctx, what, `DELETE FROM archived_workflow_labels WHERE uid = $1`, a.UID); err != nil {
		return err
	}
	keys := wfdoc.LabelKeys(a.Labels)
	if len(keys) == 0 {
		return nil
	}
	values := make([]string, len(keys))
	for i, k := range keys {
		values[i] = a.Labels[k]
	}
	_, err = t.exec(ctx, what+"'s labels", `INSERT INTO archived_workflow_labels (uid, key, value)
		SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS l(k, v)`, a.UID, keys, values)
	return err
}

func (t *txn) GetArchivedWorkflow(ctx context.Context, uid string) (*wfv1.Workflow, error) {
	var doc, nodes []byte
	err := t.one(ctx, "read archived workflow "+uid, `SELECT doc, nodes FROM archived_workflows WHERE uid = $1`, []any{uid}, &doc, &nodes)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("archived workflow %s: %w", uid, store.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	wf, err := wfdoc.DecodeArchived(doc, nodes)
	if err != nil {
		return nil, fmt.Errorf("archived workflow %s: stored document: %w", uid, err)
	}
	return wf, nil
}

// ListArchivedWorkflows pages by (created_at, uid), newest first, as
// ListWorkflows does.
func (t *txn) ListArchivedWorkflows(ctx context.Context, opts store.ArchiveListOptions) ([]*wfv1.Workflow, string, error) {
	var q strings.Builder
	q.WriteString(`SELECT uid, created_at, doc FROM archived_workflows WHERE true`)
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if len(opts.Namespaces) > 0 {
		q.WriteString(` AND namespace = ANY(` + arg(opts.Namespaces) + `)`)
	}
	if opts.NotNamespace != "" {
		q.WriteString(` AND namespace <> ` + arg(opts.NotNamespace))
	}
	if opts.NamePrefix != "" {
		q.WriteString(` AND starts_with(name, ` + arg(opts.NamePrefix) + `)`)
	}
	if opts.Continue != "" {
		at, uid, err := wfdoc.DecodeContinue(opts.Continue)
		if err != nil {
			return nil, "", err
		}
		q.WriteString(` AND (created_at, uid) < (` + arg(at) + `, ` + arg(uid) + `)`)
	}
	q.WriteString(` ORDER BY created_at DESC, uid DESC`)
	if opts.Limit > 0 && opts.Match == nil {
		q.WriteString(` LIMIT ` + arg(opts.Limit+1))
	}
	const what = "list archived workflows"
	rows, err := t.query(ctx, what, q.String(), args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []*wfv1.Workflow
	var lastAt int64
	var lastUID string
	for rows.Next() {
		var uid string
		var at int64
		var doc []byte
		if err := rows.Scan(&uid, &at, &doc); err != nil {
			return nil, "", t.fail(ctx, what, err)
		}
		if opts.Limit > 0 && len(out) == opts.Limit {
			return out, wfdoc.EncodeContinue(lastAt, lastUID), nil
		}
		wf, err := wfdoc.DecodeArchived(doc, nil)
		if err != nil {
			return nil, "", fmt.Errorf("archived workflow %s: stored document: %w", uid, err)
		}
		if opts.Match == nil || opts.Match(wf) {
			out = append(out, wf)
			lastAt, lastUID = at, uid
		}
	}
	return out, "", t.fail(ctx, what, rows.Err())
}

func (t *txn) DeleteArchivedWorkflow(ctx context.Context, uid string) error {
	tag, err := t.exec(ctx, "delete archived workflow "+uid, `DELETE FROM archived_workflows WHERE uid = $1`, uid)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("archived workflow %s: %w", uid, store.ErrNotFound)
	}
	return nil
}

func (t *txn) DeleteArchivedBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := t.exec(ctx, "remove archived workflows that finished before "+before.Format(time.RFC3339),
		`DELETE FROM archived_workflows WHERE uid IN
		(SELECT uid FROM archived_workflows WHERE finished_at < $1 ORDER BY finished_at LIMIT $2)`, before.UnixNano(), limit)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

func (t *txn) ArchivedLabelKeys(ctx context.Context, namespaces []string) ([]string, error) {
	return t.labelStrings(ctx, "l.key", namespaces, "")
}

func (t *txn) ArchivedLabelValues(ctx context.Context, key string, namespaces []string) ([]string, error) {
	return t.labelStrings(ctx, "l.value", namespaces, key)
}

// labelStrings answers the distinct values of col (l.key or l.value) of
// archived labels, sorted, in namespaces (none: all) and, with key, of
// that label only.
func (t *txn) labelStrings(ctx context.Context, col string, namespaces []string, key string) ([]string, error) {
	q := `SELECT DISTINCT ` + col + ` FROM archived_workflow_labels l`
	var args []any
	if len(namespaces) > 0 {
		args = append(args, namespaces)
		q += ` JOIN archived_workflows w ON w.uid = l.uid AND w.namespace = ANY($1)`
	}
	if key != "" {
		args = append(args, key)
		q += ` WHERE l.key = $` + strconv.Itoa(len(args))
	}
	const what = "list archived label keys or values"
	rows, err := t.query(ctx, what, q+` ORDER BY `+col, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, t.fail(ctx, what, err)
		}
		out = append(out, s)
	}
	return out, t.fail(ctx, what, rows.Err())
}
