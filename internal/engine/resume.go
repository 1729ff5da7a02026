package engine

import (
	"context"
	"os"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/reconcile"
	"github.com/semaflow/semaflow/internal/store"
)

// Resume picks up the workflows an earlier engine left unfinished in the
// store: with a session, those New took over from sessions that ended or
// whose lease expired. Lock state was rebuilt by New, before any grant, and grants the
// store holds but a workflow never recorded are delivered again. A step
// no supervisor ever took is started again; one a supervisor took is
// followed to its end (its result is on disk, or the supervisor still
// runs it); one whose supervisor died without a result is killed, what
// is left of its process group included, and ends Failed once none of it
// runs (Error if it never got a process), and its retryStrategy decides
// what follows. It returns the UIDs of the resumed workflows.
func (e *Engine) Resume(ctx context.Context) ([]string, error) {
	if e.isShared() {
		return e.resumeShared(ctx), nil
	}
	var wfs []*wfv1.Workflow
	err := e.store.View(ctx, func(tx store.Tx) error {
		list, _, err := tx.ListWorkflows(ctx, store.ListOptions{Phases: []string{"", wfv1.PhasePending, wfv1.PhaseRunning}, Session: e.SessionID()})
		if err != nil {
			return err
		}
		for _, w := range list {
			full, err := tx.GetWorkflowByUID(ctx, w.Metadata.UID)
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
	// Steps recorded but never taken by a supervisor did not run: they are
	// started again rather than failed. One grace period for all.
	var inFlight []string
	dirs := map[string]string{} // "<uid>/<node id>" -> step directory
	for _, wf := range wfs {
		for id, n := range wf.Status.Nodes {
			if !reconcile.StepInFlight(&n) {
				continue
			}
			// A refused directory (a damaged store) is never looked at:
			// the step is started again, and its launch fails it with
			// the reason.
			if dir, err := e.resumeStepDir(wf.Metadata.UID, id); err == nil {
				dirs[wf.Metadata.UID+"/"+id] = dir
				inFlight = append(inFlight, dir)
			}
		}
	}
	unstarted := map[string]bool{}
	for _, dir := range executor.NeverStarted(inFlight, neverStartedGrace) {
		unstarted[dir] = true
		_ = os.RemoveAll(dir)
	}
	var uids []string
	for i := len(wfs) - 1; i >= 0; i-- { // oldest first
		wf := wfs[i]
		var forget []string
		orphans := map[string]string{} // node ID -> step directory
		for id, n := range wf.Status.Nodes {
			if !reconcile.StepInFlight(&n) {
				continue
			}
			if dir, ok := dirs[wf.Metadata.UID+"/"+id]; !ok || unstarted[dir] {
				forget = append(forget, id)
			} else {
				orphans[id] = dir
			}
		}
		reconcile.ForgetUnstarted(wf, forget)
		e.follow(e.startAdopting(wf, e.lostGrants(wf), orphans))
		uids = append(uids, wf.Metadata.UID)
	}
	owed := e.owed
	e.owed = nil
	e.deliver(owed)
	e.dl.resumed()
	return uids, nil
}

// neverStartedGrace is how long Resume gives an old supervisor to take a
// job still buffered in the dead engine's pipe.
const neverStartedGrace = 500 * time.Millisecond

// lostGrants finds grants the store records but the workflow does not: the
// engine died between committing a grant and the holder recording it.
// They are delivered again as events.
func (e *Engine) lostGrants(wf *wfv1.Workflow) []reconcile.Event {
	var evs []reconcile.Event
	for _, holder := range reconcile.WaitingHolders(wf) {
		if toks := e.locks.Held(holder); toks != nil {
			evs = append(evs, reconcile.Event{Kind: reconcile.LockGranted, Holder: holder, Tokens: toks, At: e.now()})
		}
	}
	return evs
}

// follow waits, for the run r, for each step of an earlier engine that
// startAdopting made r's, until it ends. Its supervisor is not this
// engine's: a kill reaches it through the run's record (killStep), which
// Adopt carries out on the step's recorded process group.
func (e *Engine) follow(r *run) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, a := range r.adopted {
		go func() {
			res := executor.Adopt(a.dir, r.done, a.kill)
			// Forgotten and its exit queued at once: a kill in between
			// would take the step for one never started.
			r.mu.Lock()
			delete(r.adopted, id)
			if res != nil {
				r.pending = append(r.pending, exited(id, res))
				r.kickLocked()
			}
			r.mu.Unlock()
		}()
	}
}

// adoptedStep is a step of an earlier engine that a run follows.
type adoptedStep struct {
	dir  string
	kill chan string // takes a kill's reason; never closed
}

// adoptedIDs lists the node IDs of the run's adopted steps.
func (r *run) adoptedIDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]string, 0, len(r.adopted))
	for id := range r.adopted {
		ids = append(ids, id)
	}
	return ids
}

// adoptedDirs lists the step directories of every adopted step still
// followed, for Abort.
func (e *Engine) adoptedDirs() []string {
	e.mu.Lock()
	runs := make([]*run, 0, len(e.runs))
	for _, r := range e.runs {
		runs = append(runs, r)
	}
	e.mu.Unlock()
	var dirs []string
	for _, r := range runs {
		r.mu.Lock()
		for _, a := range r.adopted {
			dirs = append(dirs, a.dir)
		}
		r.mu.Unlock()
	}
	return dirs
}

func exited(nodeID string, r *executor.Result) reconcile.Event {
	return reconcile.Event{Kind: reconcile.StepExited, NodeID: nodeID, At: r.Finished, Result: r}
}
