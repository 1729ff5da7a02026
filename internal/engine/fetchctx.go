package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/semaflow/semaflow/internal/reconcile"
)

// Artifact transfers (input downloads, git clones, S3 loads and saves)
// run on the workflow's loop under a context that a stop, terminate or
// delete of the workflow cancels at once (push), and the engine's
// detaching too, so none of them holds the loop, and with it the
// workflow's ending or deletion, for as long as a slow server likes. A
// step's deadline bounds its inputs' download as it bounds the step.

// stopCause is the cause of a transfer cancelled by a stop or
// terminate; its text is the kill reason reconcile gives running steps.
type stopCause string

func (s stopCause) Error() string { return string(s) }

// renewTransfers gives the run a live transfer context for the round
// about to run, if a stop cancelled the last one (a stop's exit handlers
// may still load inputs).
func (r *run) renewTransfers() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.xferCtx == nil || r.xferCtx.Err() != nil {
		r.xferCtx, r.xferCancel = context.WithCancelCause(r.e.transferBase())
	}
}

// transfers is the run's transfer context (renewTransfers made it).
func (r *run) transfers() context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.xferCtx == nil {
		r.xferCtx, r.xferCancel = context.WithCancelCause(r.e.transferBase())
	}
	return r.xferCtx
}

// cancelTransfersLocked ends the run's transfers; r.mu is held.
func (r *run) cancelTransfersLocked(cause error) {
	if r.xferCancel != nil {
		r.xferCancel(cause)
	}
}

// inputContext bounds a step's input transfers by its deadline and the
// workflow's (activeDeadlineSeconds): the loop that would apply the
// latter is the one the transfer holds.
func (r *run) inputContext(deadline time.Time) (context.Context, context.CancelFunc) {
	ctx, cancelAll := context.WithTimeout(r.transfers(), StepTransferTimeout)
	spec := &r.wf.Spec
	if spec.ActiveDeadlineSeconds == nil && r.wf.Status.StoredWorkflowTemplateSpec != nil {
		spec = r.wf.Status.StoredWorkflowTemplateSpec
	}
	if ads := spec.ActiveDeadlineSeconds; ads != nil && r.wf.Status.StartedAt != nil {
		wfDeadline := r.wf.Status.StartedAt.Add(time.Duration(*ads) * time.Second)
		if deadline.IsZero() || wfDeadline.Before(deadline) {
			c, cancel := context.WithDeadlineCause(ctx, wfDeadline,
				killReason(fmt.Sprintf("Workflow exceeded its deadline (activeDeadlineSeconds: %d)", *ads)))
			return c, func() { cancel(); cancelAll() }
		}
	}
	if deadline.IsZero() {
		return ctx, cancelAll
	}
	c, cancel := context.WithDeadlineCause(ctx, deadline, killReason(reconcile.PodDeadlineMessage))
	return c, func() { cancel(); cancelAll() }
}

// transferCut says why ctx ended a transfer: a kill reason for the
// step's result (the deadline's, a stop's), errDetached, or "" if it did
// not end.
func transferCut(ctx context.Context) (string, error) {
	if ctx.Err() == nil {
		return "", nil
	}
	cause := context.Cause(ctx)
	if errors.Is(cause, errDetached) {
		return "", errDetached
	}
	return cause.Error(), nil
}

// transferBase is xferBase, or a context never cancelled for an engine
// assembled without New (tests).
func (e *Engine) transferBase() context.Context {
	if e.xferBase == nil {
		return context.Background()
	}
	return e.xferBase
}

// stopTransfers cancels every run's transfers: the engine detaches.
func (e *Engine) stopTransfers() {
	if e.xferStop != nil {
		e.xferStop(errDetached)
	}
}

// fetchesInputs says whether l's step has input artifacts to load
// before it starts (not raw ones, written from its spec).
func fetchesInputs(l *reconcile.Launch) bool {
	for i := range l.Template.Inputs.Artifacts {
		if a := &l.Template.Inputs.Artifacts[i]; a.Raw == nil && hasLocation(a) {
			return true
		}
	}
	return false
}
