package reconcile

import (
	"slices"

	"github.com/semaflow/semaflow/api/wfv1"
)

// ForgetUnstarted drops step nodes that were recorded but never reached a
// supervisor (the engine died in between), so the next walk creates them
// again, under the same IDs, and launches them: a step that never ran is
// started, not failed.
func ForgetUnstarted(wf *wfv1.Workflow, ids []string) {
	if len(ids) == 0 {
		return
	}
	for _, id := range ids {
		delete(wf.Status.Nodes, id)
	}
	for pid, n := range wf.Status.Nodes {
		kept := slices.DeleteFunc(slices.Clone(n.Children), func(c string) bool { return slices.Contains(ids, c) })
		if len(kept) != len(n.Children) {
			n.Children = kept
			wf.Status.Nodes[pid] = n
		}
	}
}
