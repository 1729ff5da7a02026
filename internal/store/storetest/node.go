package storetest

import (
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
)

// exerciseNode covers PutNodes and DeleteNodes (CreateWorkflow writes
// nodes too; GetWorkflow reads them).
func exerciseNode(t *testing.T, open Factory) {
	each(t, open, map[string]check{
		"Upsert":      nodesUpsert,
		"PerWorkflow": nodesPerWorkflow,
	})
}

func nodesUpsert(t *testing.T, s store.Store) {
	ctx := t.Context()
	wf := newWF("default", "n", time.Unix(1, 0))
	update(t, s, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, wf) })
	update(t, s, func(tx store.Tx) error {
		return tx.PutNodes(ctx, wf.Metadata.UID, []wfv1.NodeStatus{{ID: "1", Phase: "Pending"}, {ID: "2", Phase: "Pending"}})
	})
	update(t, s, func(tx store.Tx) error {
		return tx.PutNodes(ctx, wf.Metadata.UID, []wfv1.NodeStatus{{ID: "1", Phase: "Succeeded"}})
	})
	got, err := get(t, s, "default", "n")
	must(t, err)
	if len(got.Status.Nodes) != 2 || got.Status.Nodes["1"].Phase != "Succeeded" || got.Status.Nodes["2"].Phase != "Pending" {
		t.Fatalf("nodes after upsert: %+v", got.Status.Nodes)
	}
	update(t, s, func(tx store.Tx) error { return tx.DeleteNodes(ctx, wf.Metadata.UID, []string{"2", "unknown"}) })
	got, err = get(t, s, "default", "n")
	must(t, err)
	if len(got.Status.Nodes) != 1 || got.Status.Nodes["1"].Phase != "Succeeded" {
		t.Fatalf("nodes after deleting node 2: %+v", got.Status.Nodes)
	}
}

// nodesPerWorkflow: node IDs are a workflow's own; writing or deleting
// one workflow's node 1 leaves another's alone.
func nodesPerWorkflow(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newWF("default", "a", time.Unix(1, 0)), newWF("default", "b", time.Unix(2, 0))
	for _, wf := range []*wfv1.Workflow{a, b} {
		wf.Status.Nodes = map[string]wfv1.NodeStatus{"1": {ID: "1", Phase: wfv1.PhasePending, Message: wf.Metadata.Name}}
		update(t, s, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, wf) })
	}
	update(t, s, func(tx store.Tx) error {
		return tx.PutNodes(ctx, a.Metadata.UID, []wfv1.NodeStatus{{ID: "1", Phase: wfv1.PhaseSucceeded, Message: "a"}})
	})
	got, err := get(t, s, "default", "b")
	must(t, err)
	if n := got.Status.Nodes["1"]; n.Phase != wfv1.PhasePending || n.Message != "b" {
		t.Fatalf("b's node 1 after writing a's: %+v", n)
	}
	update(t, s, func(tx store.Tx) error { return tx.DeleteNodes(ctx, a.Metadata.UID, []string{"1"}) })
	if got, err = get(t, s, "default", "b"); err != nil || len(got.Status.Nodes) != 1 {
		t.Fatalf("b's nodes after deleting a's node 1: %+v %v", got, err)
	}
	if got, err = get(t, s, "default", "a"); err != nil || len(got.Status.Nodes) != 0 {
		t.Fatalf("a's nodes after deleting its node 1: %+v %v", got, err)
	}
}
