package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
)

// exerciseLog covers PutLog and Logs.
func exerciseLog(t *testing.T, open Factory) {
	each(t, open, map[string]check{"RoundTrip": logRoundTrip})
}

// logRoundTrip: Logs gives each node's latest path, for one workflow only;
// a workflow without logs has none, and that is not an error.
func logRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newWF("default", "a", time.Unix(1, 0)), newWF("default", "b", time.Unix(2, 0))
	update(t, s, func(tx store.Tx) error {
		for _, wf := range []*wfv1.Workflow{a, b} {
			if err := tx.CreateWorkflow(ctx, wf); err != nil {
				return err
			}
		}
		for _, l := range []store.NodeLog{
			{WorkflowUID: a.Metadata.UID, NodeID: "n1", Path: "/logs/a/n1.old"},
			{WorkflowUID: a.Metadata.UID, NodeID: "n2", Path: "/logs/a/n2"},
			{WorkflowUID: b.Metadata.UID, NodeID: "n1", Path: "/logs/b/n1"},
		} {
			if err := tx.PutLog(ctx, l); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(tx store.Tx) error {
		return tx.PutLog(ctx, store.NodeLog{WorkflowUID: a.Metadata.UID, NodeID: "n1", Path: "/logs/a/n1"})
	})
	view(t, s, func(tx store.Tx) error {
		for uid, want := range map[string]map[string]string{
			a.Metadata.UID: {"n1": "/logs/a/n1", "n2": "/logs/a/n2"},
			b.Metadata.UID: {"n1": "/logs/b/n1"},
			"uid-unknown":  {},
		} {
			got, err := tx.Logs(ctx, uid)
			if err != nil {
				return fmt.Errorf("logs of %s: %w", uid, err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				return fmt.Errorf("logs of %s: %v, want %v", uid, got, want)
			}
		}
		return nil
	})
}
