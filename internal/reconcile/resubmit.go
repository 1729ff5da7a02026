package reconcile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// MemoizedResubmitNodes are the nodes a workflow named newName starts
// with when it resubmits old as `argo resubmit --memoized` does: old's
// succeeded work is kept (as retry keeps it: the walk finds those nodes
// done and reads their outputs), failed steps are left to run again, and
// every node is renamed and re-identified for the new workflow. old must
// be Failed or Errored; it is changed (pass a copy).
func MemoizedResubmitNodes(old *wfv1.Workflow, newName string, res Resolver) (map[string]wfv1.NodeStatus, error) {
	switch p := old.Status.Phase; p {
	case wfv1.PhaseFailed, wfv1.PhaseError:
	default:
		return nil, fmt.Errorf("workflow %s is %s: workflow must be Failed/Error to resubmit in memoized mode", old.Metadata.Name, phaseOrNone(p))
	}
	if _, err := PrepareRetry(old, RetryOptions{}, res); err != nil {
		return nil, err
	}
	oldName := old.Metadata.Name
	rename := func(n string) string { return newName + strings.TrimPrefix(n, oldName) }
	ids := make(map[string]string, len(old.Status.Nodes))
	for id, n := range old.Status.Nodes {
		nid := NodeID(newName, rename(n.Name))
		if id == altNodeID(oldName, n.Name) {
			nid = altNodeID(newName, rename(n.Name))
		}
		ids[id] = nid
	}
	mapIDs := func(in []string) []string {
		out := make([]string, 0, len(in))
		for _, id := range in {
			if nid, ok := ids[id]; ok {
				out = append(out, nid)
			}
		}
		return slices.Clip(out)
	}
	out := make(map[string]wfv1.NodeStatus, len(old.Status.Nodes))
	for id, n := range old.Status.Nodes {
		n.ID, n.Name = ids[id], rename(n.Name)
		if n.DisplayName == oldName {
			n.DisplayName = newName // the root
		}
		n.BoundaryID = ids[n.BoundaryID]
		n.Children, n.OutboundNodes = mapIDs(n.Children), mapIDs(n.OutboundNodes)
		if len(n.Children) == 0 {
			n.Children = nil
		}
		if len(n.OutboundNodes) == 0 {
			n.OutboundNodes = nil
		}
		out[n.ID] = n
	}
	return out, nil
}
