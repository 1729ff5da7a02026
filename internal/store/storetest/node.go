package storetest

import (
	"fmt"
	"slices"
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
		"ManyLinks":   nodesManyLinks,
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

// nodesManyLinks: a parent's children and outbound nodes come back as
// written, in order, whatever their number, as they grow, shrink and
// empty, and after the node is deleted and written again (a driver may
// keep long lists apart from the node).
func nodesManyLinks(t *testing.T, s store.Store) {
	ctx := t.Context()
	wf := newWF("default", "links", time.Unix(1, 0))
	update(t, s, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, wf) })
	ids := func(n int, prefix string) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("%s-%d", prefix, i))
		}
		return out
	}
	steps := []struct {
		children, outbound []string
		phase              string
	}{
		{ids(3, "c"), nil, wfv1.PhaseRunning},
		{ids(2000, "c"), ids(700, "o"), wfv1.PhaseRunning},
		// The same links, another phase and progress.
		{ids(2000, "c"), ids(700, "o"), wfv1.PhaseSucceeded},
		{ids(2001, "c"), ids(700, "o"), wfv1.PhaseSucceeded},
		{ids(2, "c"), nil, wfv1.PhaseFailed},
		{ids(1500, "c"), nil, wfv1.PhaseRunning},
		{nil, nil, wfv1.PhaseSucceeded},
		{ids(1500, "c"), nil, wfv1.PhaseRunning},
	}
	for i, st := range steps {
		n := wfv1.NodeStatus{ID: "dag", Name: "links", Type: "DAG", Phase: st.phase, Progress: fmt.Sprintf("%d/9", i),
			Children: st.children, OutboundNodes: st.outbound}
		update(t, s, func(tx store.Tx) error { return tx.PutNodes(ctx, wf.Metadata.UID, []wfv1.NodeStatus{n}) })
		if i == 5 {
			update(t, s, func(tx store.Tx) error { return tx.DeleteNodes(ctx, wf.Metadata.UID, []string{"dag"}) })
			update(t, s, func(tx store.Tx) error { return tx.PutNodes(ctx, wf.Metadata.UID, []wfv1.NodeStatus{n}) })
		}
		got, err := get(t, s, "default", "links")
		must(t, err)
		g := got.Status.Nodes["dag"]
		if g.Phase != st.phase || g.Progress != n.Progress || g.Name != "links" || !slices.Equal(g.Children, st.children) || !slices.Equal(g.OutboundNodes, st.outbound) {
			t.Fatalf("write %d: node with %d children, %d outbound, phase %s %s; want %d, %d, %s %s",
				i, len(g.Children), len(g.OutboundNodes), g.Phase, g.Progress, len(st.children), len(st.outbound), st.phase, n.Progress)
		}
	}
}
