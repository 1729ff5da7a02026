package reconcile

import (
	"slices"

	"github.com/semaflow/semaflow/api/wfv1"
)

func (p progress) add(q progress) progress { return progress{p.done + q.done, p.total + q.total} }

func (p progress) sub(q progress) progress { return progress{p.done - q.done, p.total - q.total} }

// unitOf is a work node's own unit of progress.
func unitOf(n *wfv1.NodeStatus) progress {
	if workDone(n.Phase) {
		return progress{done: 1, total: 1}
	}
	return progress{total: 1}
}

// keepProgress keeps a full summing's results for the next calls, with
// each node's parent, when the nodes' children form a clean tree: every
// child exists and has one parent, and every node is reached from a root.
// Otherwise (a damaged status) it returns nil, and progress is summed in
// full on every call, as the old walk does.
func keepProgress(nodes map[string]*wfv1.NodeStatus, sums map[string]progress, all progress) *progState {
	parent := make(map[string]string, len(nodes))
	for id, n := range nodes {
		for _, c := range n.Children {
			if _, ok := parent[c]; ok || nodes[c] == nil || c == id {
				return nil
			}
			parent[c] = id
		}
	}
	// With one parent each, a cycle is a set of nodes no root reaches.
	reached := 0
	stack := make([]string, 0, 64)
	for id := range nodes {
		if _, ok := parent[id]; ok {
			continue
		}
		stack = append(stack[:0], id)
		for len(stack) > 0 && reached <= len(nodes) {
			n := nodes[stack[len(stack)-1]]
			stack = stack[:len(stack)-1]
			reached++
			stack = append(stack, n.Children...)
		}
	}
	if reached != len(nodes) {
		return nil
	}
	kept := make(map[string]progress, len(nodes))
	for id := range nodes {
		kept[id] = sums[id]
	}
	return &progState{sums: kept, parent: parent, all: all}
}

// updateProgressKept brings the kept sums up to date with this call's
// changed nodes and sets the progress of the nodes whose sum moved. A
// unit of work counts in each ancestor up to the first that is itself a
// unit (whose progress is its own). It reports false, having changed
// nothing the full summing does not redo, when the changes are not ones
// it can follow (a child removed or moved, a node changing between unit
// and parent): then the caller sums in full.
func (o *op) updateProgressKept(ps *progState) bool {
	ids := make([]string, 0, len(o.changed))
	for id := range o.changed {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	limit := len(o.nodes)
	// Check first, so that a refusal leaves the kept sums as they were.
	for _, id := range ids {
		n := o.nodes[id]
		old, had := o.wf.Status.Nodes[id]
		if !had {
			continue
		}
		if countsAsWork(old.Type) != countsAsWork(n.Type) || len(n.Children) < len(old.Children) ||
			!slices.Equal(n.Children[:len(old.Children)], old.Children) {
			return false
		}
	}
	added := map[string]string{}
	for _, id := range ids {
		n := o.nodes[id]
		old := o.wf.Status.Nodes[id]
		for _, c := range n.Children[len(old.Children):] {
			_, linked := ps.parent[c]
			_, twice := added[c]
			if linked || twice || o.nodes[c] == nil || c == id {
				return false
			}
			added[c] = id
		}
	}
	// A new link must not close a cycle: c may not be above its parent.
	for c, p := range added {
		for x, steps := p, 0; x != ""; steps++ {
			if x == c || steps > limit {
				return false
			}
			if q, ok := added[x]; ok {
				x = q
			} else {
				x = ps.parent[x]
			}
		}
	}
	dirty := map[string]bool{}
	addUp := func(x string, d progress) {
		for p, ok := ps.parent[x]; ok; p, ok = ps.parent[p] {
			if countsAsWork(o.nodes[p].Type) {
				return
			}
			ps.sums[p] = ps.sums[p].add(d)
			dirty[p] = true
		}
	}
	for _, id := range ids {
		if _, had := o.wf.Status.Nodes[id]; !had {
			ps.sums[id] = progress{}
		}
		dirty[id] = true
	}
	// Links first, each carrying the sum its child had, then the units'
	// changes through the links as they now stand.
	for _, id := range ids {
		n := o.nodes[id]
		old := o.wf.Status.Nodes[id]
		for _, c := range n.Children[len(old.Children):] {
			ps.parent[c] = id
			if d := ps.sums[c]; d != (progress{}) {
				addUp(c, d)
			}
		}
	}
	for _, id := range ids {
		n := o.nodes[id]
		if !countsAsWork(n.Type) {
			continue
		}
		var before progress
		if old, had := o.wf.Status.Nodes[id]; had {
			before = unitOf(&old)
		}
		if d := unitOf(n).sub(before); d != (progress{}) {
			ps.sums[id] = ps.sums[id].add(d)
			ps.all = ps.all.add(d)
			addUp(id, d)
		}
	}
	for id := range dirty {
		p := ps.sums[id]
		if p.total == 0 {
			continue
		}
		n := o.nodes[id]
		if s := p.String(); n.Progress != s {
			n.Progress = s
			o.touch(n)
		}
	}
	o.wf.Status.Progress = ps.all.String()
	return true
}
