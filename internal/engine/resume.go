package engine

import (
	"context"
	"os"
	"path/filepath"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/reconcile"
	"github.com/semaflow/semaflow/internal/store"
)

// Resume picks up the workflows an earlier engine left unfinished in the
// store. Lock state was rebuilt by New, before any grant. Each step that
// was handed to a supervisor is followed to its end (its result is on
// disk, or its supervisor still runs it); a step no supervisor runs ends
// in Error, and its retryStrategy decides what follows. It returns the UIDs
// of the resumed workflows.
func (e *Engine) Resume(ctx context.Context) ([]string, error) {
	var wfs []*wfv1.Workflow
	err := e.store.View(ctx, func(tx store.Tx) error {
		list, _, err := tx.ListWorkflows(store.ListOptions{Phases: []string{"", wfv1.PhasePending, wfv1.PhaseRunning}})
		if err != nil {
			return err
		}
		for _, w := range list {
			full, err := tx.GetWorkflowByUID(w.Metadata.UID)
			if err != nil {
				return err
			}
			wfs = append(wfs, full)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var uids []string
	for i := len(wfs) - 1; i >= 0; i-- { // oldest first
		wf := wfs[i]
		dir := filepath.Join(e.dataDir, "workflows", wf.Metadata.UID)
		var recovered []reconcile.Event
		var orphans []string
		for id, n := range wf.Status.Nodes {
			if !reconcile.StepInFlight(&n) {
				continue
			}
			stepDir := filepath.Join(dir, id)
			if _, err := os.Stat(filepath.Join(stepDir, executor.SpecFile)); err != nil {
				// Planned but never handed to a supervisor.
				recovered = append(recovered, exited(id, executor.Lost()))
				continue
			}
			orphans = append(orphans, id)
		}
		e.start(wf, recovered)
		for _, id := range orphans {
			e.adopt(wf.Metadata.UID, id, filepath.Join(dir, id))
		}
		uids = append(uids, wf.Metadata.UID)
	}
	owed := e.owed
	e.owed = nil
	e.deliver(owed)
	return uids, nil
}

// adopt follows a step of an earlier engine until it ends.
func (e *Engine) adopt(uid, nodeID, dir string) {
	r, _ := e.stepRun(uid + "/" + nodeID)
	if r == nil {
		return
	}
	r.mu.Lock()
	r.adopted++
	r.mu.Unlock()
	go func() {
		res := executor.Adopt(dir, r.done)
		r.mu.Lock()
		r.adopted--
		r.mu.Unlock()
		if res != nil {
			e.stepDone(uid+"/"+nodeID, res)
		}
	}()
}

func exited(nodeID string, r *executor.Result) reconcile.Event {
	return reconcile.Event{Kind: reconcile.StepExited, NodeID: nodeID, At: r.Finished, Result: &reconcile.StepResult{
		ExitCode: r.ExitCode, Stdout: r.Stdout, Outputs: r.Outputs, Missing: r.Missing,
		StartError: r.StartError, Killed: r.Killed, Started: r.Started, Finished: r.Finished}}
}
