package engine

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/reconcile"
	"github.com/semaflow/semaflow/internal/store"
)

// A refused commit is tried again after commitRetryFirst, doubling up to
// commitRetryMax: quick when a transient error clears, cheap while a full
// disk waits for an operator.
const (
	commitRetryFirst = 50 * time.Millisecond
	commitRetryMax   = 5 * time.Second
)

// storeHealth remembers whether the store is refusing writes, so that a
// full disk is logged when it begins and when it ends, not at each retry
// of each workflow.
type storeHealth struct {
	failing atomic.Bool
}

func (e *Engine) writeFailed(wf *wfv1.Workflow, what string, err error) {
	if e.health.failing.CompareAndSwap(false, true) {
		e.log.Error("cannot record workflow state: workflows keep their changes and step results in memory and retry until it can be written",
			"workflow", wf.Metadata.Namespace+"/"+wf.Metadata.Name, "writing", what, "diskFull", store.NoSpace(err), "err", err)
	}
}

func (e *Engine) writeSucceeded() {
	// Load first: a compare-and-swap on every commit would make all
	// workflows contend for one cache line.
	if e.health.failing.Load() && e.health.failing.CompareAndSwap(true, false) {
		e.log.Info("workflow state is recorded again")
	}
}

// commit persists a reconcile's plan, retrying with backoff while the
// store refuses it. The plan was already applied to r.wf and its events
// taken, so giving up would lose step results and leave permits held: it
// is kept until it is written. Events that arrive meanwhile queue in
// r.pending and are reconciled after it. false means the engine detached
// while waiting; the next engine resumes from what the store holds.
func (r *run) commit(ctx context.Context, plan *reconcile.Plan, events []reconcile.Event, whole bool) (*locks.Result, bool) {
	delay := commitRetryFirst
	stopped := false
	for {
		res, err := r.persist(ctx, plan, events, whole)
		if err == nil {
			r.e.writeSucceeded()
			return res, true
		}
		if errors.Is(err, store.ErrSessionLost) {
			// The store is another engine's now (the engine fenced
			// itself): nothing this plan decided may happen.
			return nil, false
		}
		if r.e.releaseReserve(err, "workflow "+r.wf.Metadata.Namespace+"/"+r.wf.Metadata.Name+"'s state") {
			continue
		}
		r.e.writeFailed(r.wf, "the database", err)
		// Killing a step needs no disk: the kills this plan decided, and
		// those a stop or terminate asked for meanwhile, happen now. The
		// steps' exits queue as events, recorded with the rest.
		if delay == commitRetryFirst {
			r.killBeforeLaunch(plan) // those it starts too: once launched
		}
		ok := r.pause(delay, func() bool {
			if reason, asked := r.shutdownAsked(); asked && !stopped {
				stopped = true
				r.killAll(reason)
			}
			return false
		})
		if !ok {
			return nil, false
		}
		delay = min(2*delay, commitRetryMax)
	}
}

// kill kills the steps of kill, by node ID, with their reasons: those
// this engine started through its executor, and those it adopted.
func (r *run) kill(kill map[string]string) {
	for id, reason := range kill {
		r.killStep(id, reason)
	}
}

// killAll kills every running step of the run, started or adopted.
func (r *run) killAll(reason string) {
	for id := range r.live {
		if !r.cancelData(id, reason) {
			r.e.exec.Kill(r.key(id), reason)
		}
	}
	for _, id := range r.adoptedIDs() {
		r.killStep(id, reason)
	}
}

// killStep kills one running step. A step this engine neither started
// nor adopted never ran and never will (a stop came before its launch,
// or its exit was taken already): the reconcile is told so, and ends a
// node still Pending at once; every other killed node ends by its exit,
// its locks held until then.
func (r *run) killStep(id, reason string) {
	if _, ok := r.live[id]; ok {
		if !r.cancelData(id, reason) {
			r.e.exec.Kill(r.key(id), reason)
		}
		return
	}
	r.mu.Lock()
	a, ok := r.adopted[id]
	r.mu.Unlock()
	if !ok {
		r.notStarted(id, reason)
		return
	}
	// Never waits: one kill pending is enough, its follower kills the
	// group again until the step has ended.
	select {
	case a.kill <- reason:
	default:
	}
}

// notStarted tells the next round that the step of node id was never
// spawned and never will be: its node ends with reason at once.
func (r *run) notStarted(id, reason string) {
	r.push(reconcile.Event{Kind: reconcile.StepNotStarted, NodeID: id, At: r.e.now(), Message: reason}, "")
}

// shutdownAsked says whether a stop or terminate waits among the pending
// events, and gives the reason a killed step records (as reconcile words
// it).
func (r *run) shutdownAsked() (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range r.pending {
		kind := ""
		switch ev.Kind {
		case reconcile.Stop:
			kind = "Stop"
		case reconcile.Terminate:
			kind = "Terminate"
		default:
			continue
		}
		switch {
		case r.message != "":
			return r.message, true
		case r.wf.Status.Message != "":
			return r.wf.Status.Message, true
		}
		return "workflow shutdown with strategy: " + kind, true
	}
	return "", false
}

// errDetached ends a wait for the disk because the engine detached.
var errDetached = errors.New("the engine detached")

// errStopAsked gives up starting a step because a stop or terminate
// came while its directory could not be made: the step is never
// spawned, and launch tells the next round so (StepNotStarted).
var errStopAsked = errors.New("the workflow is stopping")

// startStep hands a step to the executor; a step directory the disk has
// no room for is tried again, as a commit is. errDetached means the engine
// detached first: the step is recorded but was never taken, so the next
// engine starts it.
func (r *run) startStep(job executor.Job) error {
	delay := commitRetryFirst
	for {
		// A step starts only under a lease still held: an engine that was
		// stopped past its lease must not start what the engine that took
		// over may have started already.
		err := r.e.leaseHeld()
		if errors.Is(err, errDetached) {
			return err
		}
		if err == nil {
			err = r.e.exec.Start(job)
		}
		if !store.NoSpace(err) && !errors.Is(err, errLease) {
			if err == nil {
				r.e.writeSucceeded()
			}
			return err
		}
		r.e.writeFailed(r.wf, job.Dir, err)
		if r.stopAsked() {
			return errStopAsked
		}
		if !r.pause(delay, r.stopAsked) {
			return errDetached
		}
		if r.stopAsked() {
			return errStopAsked
		}
		delay = min(2*delay, commitRetryMax)
	}
}

// pause sleeps for d, or less if the engine detaches meanwhile (then it
// returns false); onWake, if set, runs on every event that comes, and
// ends the pause early when it returns true. No lock is held: events and
// terminate requests queue in the meantime.
func (r *run) pause(d time.Duration, onWake func() bool) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for !r.e.detached.Load() {
		select {
		case <-t.C:
			return !r.e.detached.Load()
		case <-r.wake:
			if onWake != nil && onWake() {
				return !r.e.detached.Load()
			}
		}
	}
	return false
}
