package sqlite

import (
	"context"
	"errors"
	"fmt"
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
	if _, err := t.exec(ctx, sqlArchive,
		a.UID, a.Namespace, a.Name, a.Phase, a.Created, a.Finished, a.Doc, a.Nodes); err != nil {
		return fmt.Errorf("archiving workflow %s/%s: %w", a.Namespace, a.Name, err)
	}
	if _, err := t.exec(ctx, sqlArchiveUnlabel, a.UID); err != nil {
		return err
	}
	keys := wfdoc.LabelKeys(a.Labels)
	args := make([]any, 0, 3*min(len(keys), labelsPerInsert))
	for len(keys) > 0 {
		n := min(len(keys), labelsPerInsert)
		args = args[:0]
		for _, k := range keys[:n] {
			args = append(args, a.UID, k, a.Labels[k])
		}
		if _, err := t.exec(ctx, sqlArchiveLabels[n], args...); err != nil {
			return fmt.Errorf("archiving labels %s… of workflow %s/%s: %w", keys[0], a.Namespace, a.Name, err)
		}
		keys = keys[n:]
	}
	return nil
}

func (t *txn) GetArchivedWorkflow(ctx context.Context, uid string) (*wfv1.Workflow, error) {
	var doc, nodes []byte
	err := t.queryRow(ctx, `SELECT doc, nodes FROM archived_workflows WHERE uid = ?`, uid).Scan(&doc, &nodes)
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
	q := `SELECT uid, created_at, doc FROM archived_workflows WHERE 1=1`
	var args []any
	if len(opts.Namespaces) > 0 {
		q += ` AND namespace IN (?` + strings.Repeat(",?", len(opts.Namespaces)-1) + `)`
		for _, ns := range opts.Namespaces {
			args = append(args, ns)
		}
	}
	if opts.NotNamespace != "" {
		q += ` AND namespace <> ?`
		args = append(args, opts.NotNamespace)
	}
	if opts.NamePrefix != "" {
		q += ` AND substr(name, 1, length(?)) = ?`
		args = append(args, opts.NamePrefix, opts.NamePrefix)
	}
	if opts.Continue != "" {
		at, uid, err := wfdoc.DecodeContinue(opts.Continue)
		if err != nil {
			return nil, "", err
		}
		q += ` AND (created_at < ? OR (created_at = ? AND uid < ?))`
		args = append(args, at, at, uid)
	}
	q += ` ORDER BY created_at DESC, uid DESC`
	if opts.Limit > 0 && opts.Match == nil {
		q += ` LIMIT ?`
		args = append(args, opts.Limit+1)
	}
	rows, err := t.query(ctx, q, args...)
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
			return nil, "", err
		}
		if opts.Limit > 0 && len(out) == opts.Limit {
			return out, wfdoc.EncodeContinue(lastAt, lastUID), rows.Err()
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
	return out, "", rows.Err()
}

func (t *txn) DeleteArchivedWorkflow(ctx context.Context, uid string) error {
	res, err := t.exec(ctx, `DELETE FROM archived_workflows WHERE uid = ?`, uid)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("archived workflow %s: %w", uid, store.ErrNotFound)
	}
	return nil
}

func (t *txn) DeleteArchivedBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM archived_workflows WHERE uid IN
		(SELECT uid FROM archived_workflows WHERE finished_at < ? ORDER BY finished_at LIMIT ?)`, before.UnixNano(), limit)
	if err != nil {
		return 0, fmt.Errorf("removing archived workflows that finished before %s: %w", before.Format(time.RFC3339), err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func (t *txn) ArchivedLabelKeys(ctx context.Context, namespaces []string) ([]string, error) {
	return t.labelStrings(ctx, `SELECT DISTINCT l.key FROM archived_workflow_labels l`, "l.key", namespaces)
}

func (t *txn) ArchivedLabelValues(ctx context.Context, key string, namespaces []string) ([]string, error) {
	return t.labelStrings(ctx, `SELECT DISTINCT l.value FROM archived_workflow_labels l`, "l.value", namespaces, key)
}

// labelStrings runs a label query (sel, the column col), restricted to
// namespaces and, with key, to that label, and answers the column sorted.
func (t *txn) labelStrings(ctx context.Context, sel, col string, namespaces []string, key ...string) ([]string, error) {
	q := sel
	var args []any
	if len(namespaces) > 0 {
		q += ` JOIN archived_workflows w ON w.uid = l.uid AND w.namespace IN (?` + strings.Repeat(",?", len(namespaces)-1) + `)`
		for _, ns := range namespaces {
			args = append(args, ns)
		}
	}
	q += ` WHERE 1=1`
	for _, k := range key {
		q += ` AND l.key = ?`
		args = append(args, k)
	}
	rows, err := t.query(ctx, q+` ORDER BY `+col, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
