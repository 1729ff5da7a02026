package app

import (
	"context"
	"fmt"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/store"
)

// Explain explains a workflow from database db (semaflow explain --db): a
// read, so no engine starts and a live one is not disturbed. Since when
// each holder holds is not stored, so the answer leaves it out; the
// policy is the engines' default, backfill.
func Explain(ctx context.Context, db, namespace, name string, opts engine.ExplainOptions, now time.Time) (*engine.Explanation, error) {
	s, err := OpenStore(ctx, db, false)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var wf *wfv1.Workflow
	var st *store.LockState
	if err := s.View(ctx, func(tx store.Tx) error {
		if name == "@latest" {
			// The namespace's newest, as the server resolves it.
			list, _, err := tx.ListWorkflows(ctx, store.ListOptions{Namespace: namespace, Limit: 1})
			if err != nil {
				return err
			}
			if len(list) == 0 {
				return fmt.Errorf("no workflows found in namespace %s for @latest: %w", namespace, store.ErrNotFound)
			}
			name = list[0].Metadata.Name
		}
		if wf, err = tx.GetWorkflow(ctx, namespace, name); err != nil {
			return err
		}
		st, err = tx.LoadLocks(ctx)
		return err
	}); err != nil {
		return nil, err
	}
	return engine.ExplainFrom(wf, st, lockq.Config{Policy: lockq.Backfill}, nil, opts, now)
}
