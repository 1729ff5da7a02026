package reconcile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// PrepareRetry readies a Failed or Errored workflow to run again, the way
// `argo retry` does: succeeded work is kept, failed steps are removed so
// the walk starts them afresh (same names, so same IDs), the groups around
// them are reopened, and the exit handler runs again. The workflow goes
// back to Pending so its workflow-level locks are requested anew. It
// returns the IDs of the removed nodes.
func PrepareRetry(wf *wfv1.Workflow) ([]string, error) {
	if p := wf.Status.Phase; p != wfv1.PhaseFailed && p != wfv1.PhaseError {
		return nil, fmt.Errorf("workflow %s is %s: only a Failed or Errored workflow can be retried", wf.Metadata.Name, phaseOrNone(p))
	}
	exitPrefix := wf.Metadata.Name + ".onExit"
	removed := map[string]bool{}
	for id, n := range wf.Status.Nodes {
		switch {
		case strings.HasPrefix(n.Name, exitPrefix):
			removed[id] = true
		case !isFailure(n.Phase) && n.Phase != wfv1.PhaseOmitted && fulfilled(&n):
			// Succeeded and Skipped work stays.
		case n.Type == NodePod || n.Type == NodeSuspend || n.Type == NodeSkipped:
			removed[id] = true
		default:
			n.Phase = wfv1.PhaseRunning
			n.FinishedAt, n.Message, n.Outputs, n.SynchronizationStatus = nil, "", nil, nil
			wf.Status.Nodes[id] = n
		}
	}
	ids := make([]string, 0, len(removed))
	for id := range removed {
		delete(wf.Status.Nodes, id)
		ids = append(ids, id)
	}
	slices.Sort(ids)
	gone := func(id string) bool { return removed[id] }
	for id, n := range wf.Status.Nodes {
		n.Children = slices.DeleteFunc(slices.Clone(n.Children), gone)
		n.OutboundNodes = slices.DeleteFunc(slices.Clone(n.OutboundNodes), gone)
		wf.Status.Nodes[id] = n
	}
	s := &wf.Status
	s.Phase, s.Message, s.StartedAt, s.FinishedAt = wfv1.PhasePending, "", nil, nil
	s.Synchronization, s.Outputs = nil, nil
	wf.Spec.Shutdown, wf.Spec.Suspend = "", nil
	return ids, nil
}

func phaseOrNone(p string) string {
	if p == "" {
		return "not started"
	}
	return p
}
