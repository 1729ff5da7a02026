package reconcile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// RetryOptions are `argo retry`'s --restart-successful and
// --node-field-selector: with both, the succeeded nodes the selector
// matches run again too.
type RetryOptions struct {
	RestartSuccessful bool   `json:"restartSuccessful"`
	NodeFieldSelector string `json:"nodeFieldSelector"`
	// Parameters (-p NAME=VALUE) replace the workflow's arguments.
	Parameters []string `json:"parameters"`
}

// PrepareRetry readies a Failed or Errored workflow to run again, the way
// `argo retry` does: succeeded work is kept, failed steps are removed so
// the walk starts them afresh (same names, so same IDs), the groups around
// them are reopened, and the exit handler runs again. The workflow goes
// back to Pending so its workflow-level locks are requested anew. With
// opts, succeeded nodes are restarted as well (see restartSet), and a
// Succeeded workflow may be retried. It returns the IDs of the removed
// nodes. res finds the DAG templates of templateRefs.
func PrepareRetry(wf *wfv1.Workflow, opts RetryOptions, res Resolver) ([]string, error) {
	if err := OverrideParameters(wf, opts.Parameters); err != nil {
		return nil, &SelectorError{Err: err}
	}
	parent := parents(wf.Status.Nodes)
	restart := map[string]bool{}
	if opts.RestartSuccessful && opts.NodeFieldSelector != "" {
		var err error
		if restart, err = restartSet(wf, parent, opts.NodeFieldSelector, res); err != nil {
			return nil, err
		}
	}
	switch p := wf.Status.Phase; {
	case p == wfv1.PhaseFailed || p == wfv1.PhaseError:
	case p == wfv1.PhaseSucceeded && opts.RestartSuccessful && opts.NodeFieldSelector != "":
	case p == wfv1.PhaseSucceeded:
		return nil, fmt.Errorf("workflow %s is Succeeded: to retry a succeeded workflow, set restartSuccessful and nodeFieldSelector", wf.Metadata.Name)
	default:
		return nil, fmt.Errorf("workflow %s is %s: only a Failed or Errored workflow can be retried", wf.Metadata.Name, phaseOrNone(p))
	}
	reopen := ancestors(parent, restart)
	exitPrefix := wf.Metadata.Name + ".onExit"
	removed := map[string]bool{}
	for id, n := range wf.Status.Nodes {
		switch {
		case strings.HasPrefix(n.Name, exitPrefix) || restart[id]:
			removed[id] = true
		case !reopen[id] && !isFailure(n.Phase) && n.Phase != wfv1.PhaseOmitted && fulfilled(&n):
			// Succeeded and Skipped work stays, unless it holds a restart.
		case isStep(n.Type) || n.Type == NodeSuspend || n.Type == NodeSkipped:
			removed[id] = true
		default: // a group: reopened
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
