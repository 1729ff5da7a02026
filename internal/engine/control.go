package engine

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/reconcile"
	"github.com/semaflow/semaflow/internal/store"
)

// ErrState means the workflow is not in a state the request applies to,
// e.g. resuming a workflow that has already ended.
var ErrState = errors.New("not possible in the workflow's current state")

// ErrInvalid means the request itself is wrong (a bad selector).
var ErrInvalid = errors.New("invalid request")

// ResubmittedFrom labels a resubmitted workflow with its original, as
// Argo does.
const ResubmittedFrom = "workflows.argoproj.io/resubmitted-from-workflow"

// liveRun finds the running workflow by name.
func (e *Engine) liveRun(ctx context.Context, namespace, name string) (*run, *wfv1.Workflow, error) {
	wf, err := e.Get(ctx, namespace, name)
	if err != nil {
		return nil, nil, err
	}
	if err := e.Elsewhere(ctx, wf); err != nil {
		return nil, nil, err
	}
	e.mu.Lock()
	r := e.runs[wf.Metadata.UID]
	e.mu.Unlock()
	if r == nil {
		return nil, wf, fmt.Errorf("workflow %s/%s is %s: %w", namespace, name, wf.Status.Phase, ErrState)
	}
	return r, wf, nil
}

// SuspendWorkflow stops a workflow from starting anything new until
// resumed; running steps go on.
func (e *Engine) SuspendWorkflow(ctx context.Context, namespace, name string) (*wfv1.Workflow, error) {
	return e.pushTo(ctx, namespace, name, reconcile.Suspend)
}

// ResumeWorkflow lifts a suspension and completes suspend steps that wait
// for it.
// As Argo, it refuses while a waiting suspend node has a supplied output
// with neither a value nor a default.
func (e *Engine) ResumeWorkflow(ctx context.Context, namespace, name string) (*wfv1.Workflow, error) {
	r, wf, err := e.liveRun(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	if err := reconcile.ResumeBlocked(wf); err != nil {
		return nil, fmt.Errorf("resuming workflow %s/%s: %w: %w", namespace, name, err, ErrState)
	}
	r.push(reconcile.Event{Kind: reconcile.Resume, At: e.now()}, "")
	return wf, nil
}

// pushTo sends an event to a running workflow by name.
func (e *Engine) pushTo(ctx context.Context, namespace, name string, kind reconcile.EventKind) (*wfv1.Workflow, error) {
	r, wf, err := e.liveRun(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	r.push(reconcile.Event{Kind: kind, At: e.now()}, "")
	return wf, nil
}

// Retry runs a Failed or Errored workflow again, keeping what succeeded
// except what opts restarts (reconcile.PrepareRetry). Its locks are
// requested again in their queues' order.
func (e *Engine) Retry(ctx context.Context, namespace, name string, opts reconcile.RetryOptions) (*wfv1.Workflow, error) {
	e.retryMu.Lock()
	defer e.retryMu.Unlock()
	wf, err := e.Get(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	uid := wf.Metadata.UID
	e.mu.Lock()
	live := e.runs[uid] != nil
	e.mu.Unlock()
	if live {
		return nil, fmt.Errorf("workflow %s/%s is still %s: %w", namespace, name, wf.Status.Phase, ErrState)
	}
	removed, err := reconcile.PrepareRetry(wf, opts, e.objects)
	var bad *reconcile.SelectorError
	switch {
	case errors.As(err, &bad):
		return nil, fmt.Errorf("%w: %w", err, ErrInvalid)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", err, ErrState)
	}
	syncPhaseLabels(wf)
	syncExpiry(wf)
	err = e.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.DeleteNodes(ctx, uid, removed); err != nil {
			return err
		}
		nodes := make([]wfv1.NodeStatus, 0, len(wf.Status.Nodes))
		for _, n := range wf.Status.Nodes {
			nodes = append(nodes, n)
		}
		if err := tx.PutWorkflow(ctx, wf); err != nil {
			return err
		}
		if err := tx.PutNodes(ctx, uid, nodes); err != nil {
			return err
		}
		return tx.AppendEvents(ctx, []store.Event{{WorkflowUID: uid, At: e.now(), Type: "Retried",
			Message: fmt.Sprintf("retried: %d nodes removed to run again", len(removed))}})
	})
	if err != nil {
		return nil, fmt.Errorf("retrying workflow %s/%s: %w", namespace, name, err)
	}
	// The removed steps run again under the same IDs: clear what their
	// last attempt left, so nothing reads an old result.
	for _, id := range removed {
		dir, err := e.resumeStepDir(uid, id)
		if err != nil {
			e.log.Warn("retry: not clearing a step directory", "workflow", namespace+"/"+name, "node", id, "err", err)
			continue
		}
		_ = os.RemoveAll(dir)
	}
	out, err := deepCopy(wf)
	if err != nil {
		return nil, err
	}
	e.hub.publish(Modified, out)
	e.start(wf, nil)
	return out, nil
}

// Resubmit submits a new workflow with the spec of an existing one, named
// after it, as `argo resubmit` does; params (-p NAME=VALUE) replace its
// arguments.
//
// memoized (`argo resubmit --memoized`) makes the new workflow reuse the
// old one's succeeded steps, which must then be Failed or Errored.
func (e *Engine) Resubmit(ctx context.Context, namespace, name string, params []string, memoized bool) (*wfv1.Workflow, error) {
	old, err := e.Get(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	return e.resubmitFrom(ctx, old, params, memoized)
}

// resubmitFrom is Resubmit of old, live or archived.
func (e *Engine) resubmitFrom(ctx context.Context, old *wfv1.Workflow, params []string, memoized bool) (*wfv1.Workflow, error) {
	namespace, name := old.Metadata.Namespace, old.Metadata.Name
	wf := &wfv1.Workflow{Spec: old.Spec}
	if err := reconcile.OverrideParameters(wf, params); err != nil {
		return nil, fmt.Errorf("resubmitting workflow %s/%s: %w: %w", namespace, name, err, ErrInvalid)
	}
	wf.Spec.Shutdown, wf.Spec.Suspend = "", nil
	wf.Metadata = wfv1.ObjectMeta{Namespace: namespace, GenerateName: name + "-",
		Labels: map[string]string{ResubmittedFrom: name}, Annotations: old.Metadata.Annotations}
	for k, v := range old.Metadata.Labels {
		if _, set := wf.Metadata.Labels[k]; !set {
			wf.Metadata.Labels[k] = v
		}
	}
	if !memoized {
		return e.Submit(ctx, wf)
	}
	// The nodes' names and IDs derive from the workflow's name: it is
	// chosen here rather than when stored.
	wf.Metadata.Name = wf.Metadata.GenerateName + randomSuffix()
	made, err := e.newWorkflow(wf)
	if err != nil {
		return nil, err
	}
	made.Status.Nodes, err = reconcile.MemoizedResubmitNodes(old, made.Metadata.Name, e.objects)
	if err != nil {
		return nil, fmt.Errorf("resubmitting workflow %s/%s: %w: %w", namespace, name, err, ErrState)
	}
	out, err := e.createAll(ctx, []*wfv1.Workflow{made}, nil)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// SetNode sets outputs, message or phase on a running workflow's waiting
// suspend nodes (`argo node set`), refusing as Argo does what cannot be
// set; nothing changes on a refusal.
func (e *Engine) SetNode(ctx context.Context, namespace, name string, v reconcile.SetValues) (*wfv1.Workflow, error) {
	r, wf, err := e.liveRun(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	if err := reconcile.CheckSet(wf, v); err != nil {
		return nil, fmt.Errorf("setting nodes of workflow %s/%s: %w: %w", namespace, name, err, ErrInvalid)
	}
	r.push(reconcile.Event{Kind: reconcile.SetNode, At: e.now(), Set: &v}, "")
	return wf, nil
}
