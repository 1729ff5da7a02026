package engine

import (
	"context"

	"github.com/semaflow/semaflow/internal/locks"
)

// maxNamedWorkflows bounds how many workflows LockViews reads to name
// nodes: a view of a long queue names the first ones' nodes only.
const maxNamedWorkflows = 100

// LockViews is Locks with each holder's and waiter's node named by its
// display name, read from its workflow, for people (the Locks page).
func (e *Engine) LockViews(ctx context.Context, only string) ([]locks.View, error) {
	views, err := e.Locks(ctx, only)
	if err != nil {
		return nil, err
	}
	names := map[string]map[string]string{} // workflow key -> node id -> name
	name := func(p *locks.Party) {
		if p.NodeID == "" {
			return
		}
		wk := p.Namespace + "/" + p.Workflow
		nodes, seen := names[wk]
		if !seen {
			if len(names) >= maxNamedWorkflows {
				return
			}
			// A workflow deleted meanwhile leaves its nodes unnamed.
			if wf, err := e.Get(ctx, p.Namespace, p.Workflow); err == nil {
				nodes = make(map[string]string, len(wf.Status.Nodes))
				for id, n := range wf.Status.Nodes {
					nodes[id] = n.DisplayName
				}
			}
			names[wk] = nodes
		}
		p.NodeName = nodes[p.NodeID]
	}
	for i := range views {
		for j := range views[i].Holding {
			name(&views[i].Holding[j].Party)
		}
		for j := range views[i].Queue {
			name(&views[i].Queue[j].Party)
		}
	}
	return views, nil
}
