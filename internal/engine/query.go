package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/eta"
	"github.com/semaflow/semaflow/internal/reconcile"
	"github.com/semaflow/semaflow/internal/store"
)

// Get returns a workflow with its nodes.
func (e *Engine) Get(ctx context.Context, namespace, name string) (*wfv1.Workflow, error) {
	var wf *wfv1.Workflow
	err := e.store.View(ctx, func(tx store.Tx) error {
		var err error
		wf, err = tx.GetWorkflow(ctx, namespace, name)
		return err
	})
	if err == nil {
		// A workflow stored before the engine owned its labels shows them
		// right all the same.
		syncPhaseLabels(wf)
	}
	return wf, err
}

// Describe is Get with the waiting messages as the lock queues stand now
// (position, wait so far), for people asking why a workflow waits. The
// stored messages date from when each wait began.
func (e *Engine) Describe(ctx context.Context, namespace, name string) (*wfv1.Workflow, error) {
	wf, err := e.Get(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	e.LiveWaits(wf)
	return wf, nil
}

// LiveWaits puts into wf (a copy the caller owns) the waiting messages as
// the lock queues stand now, with their estimated starts, as Describe
// does: a watch's later frames say what get says.
func (e *Engine) LiveWaits(wf *wfv1.Workflow) {
	now := e.now()
	for _, h := range reconcile.WaitingHolders(wf) {
		if msg, ok := e.locks.Waiting(h, now); ok {
			reconcile.SetWaitingMessage(wf, h, msg)
		}
	}
}

// liveStatus puts a workflow-level wait's message as the queues stand now
// into a stored status, for lists; other statuses pass untouched. The
// message is replaced in place, without decoding the status: a list of
// 10,000 waiting workflows does this 10,000 times.
func (e *Engine) liveStatus(namespace, name string, status []byte) []byte {
	const key = `"message":`
	i := bytes.Index(status, []byte(key+`"Waiting for `))
	if i < 0 {
		return status
	}
	start := i + len(key)
	end := jsonStringEnd(status, start)
	if end < 0 {
		return status
	}
	msg, ok := e.locks.Waiting(domain.HolderKey{Namespace: namespace, Workflow: name}.String(), e.now())
	if !ok {
		return status
	}
	quoted, err := json.Marshal(msg)
	if err != nil {
		return status
	}
	out := make([]byte, 0, len(status)+len(quoted)-(end-start))
	out = append(append(append(out, status[:start]...), quoted...), status[end:]...)
	return out
}

// jsonStringEnd returns the index just past the JSON string that starts
// at b[start] (a quote), or -1.
func jsonStringEnd(b []byte, start int) int {
	for i := start + 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// List returns workflows without their nodes, newest first.
func (e *Engine) List(ctx context.Context, opts store.ListOptions) ([]*wfv1.Workflow, string, error) {
	var out []*wfv1.Workflow
	var next string
	err := e.store.View(ctx, func(tx store.Tx) error {
		var err error
		out, next, err = tx.ListWorkflows(ctx, opts)
		return err
	})
	for _, wf := range out {
		syncPhaseLabels(wf)
	}
	return out, next, err
}

// ListRaw is List as JSON objects, without decoding them: what the API
// sends.
func (e *Engine) ListRaw(ctx context.Context, opts store.ListOptions) ([]json.RawMessage, string, error) {
	opts.Status = e.liveStatus
	var out []json.RawMessage
	var next string
	err := e.store.View(ctx, func(tx store.Tx) error {
		var err error
		out, next, err = tx.ListWorkflowsRaw(ctx, opts)
		return err
	})
	return out, next, err
}

// StopByName stops (or terminates) a running workflow by name.
func (e *Engine) StopByName(ctx context.Context, namespace, name string, terminate bool) (*wfv1.Workflow, error) {
	wf, err := e.Get(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	if err := e.Elsewhere(ctx, wf); err != nil {
		return nil, err
	}
	msg := "stopped by request"
	if terminate {
		msg = "terminated by request"
	}
	e.Stop(wf.Metadata.UID, terminate, msg)
	return wf, nil
}

// Delete removes a workflow: a running one is terminated first (its steps
// killed, its locks released), then it and its nodes, events and any lock
// it still held or waited for are removed in one transaction, and its step
// directories (logs, specs, results) after it.
func (e *Engine) Delete(ctx context.Context, namespace, name string) error {
	wf, err := e.Get(ctx, namespace, name)
	if err != nil {
		return err
	}
	if err := e.Elsewhere(ctx, wf); err != nil {
		return err
	}
	return e.remove(ctx, wf, true)
}

// remove deletes wf, found by name or UID, as Delete says. A workflow
// already gone is store.ErrNotFound, its directories removed all the same.
// background lets artifact GC run after remove returns, as Argo's
// finalizer does (the workflow goes once its artifacts are deleted, or
// stays with the ArtifactGCError condition): a slow repository then never
// holds the request.
func (e *Engine) remove(ctx context.Context, wf *wfv1.Workflow, background bool) error {
	uid := wf.Metadata.UID
	stopping := e.Stop(uid, true, "deleted")
	// Its volumes go first: on a disk they filled, the room they free is
	// what lets the terminate and the delete be recorded. Its steps are
	// being killed; a step still writing holds only what it has open.
	e.removeVolumes(uid)
	if stopping {
		if _, err := e.Wait(ctx, uid); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		var fresh *wfv1.Workflow
		if e.store.View(ctx, func(tx store.Tx) (err error) { fresh, err = tx.GetWorkflowByUID(ctx, uid); return err }) == nil {
			wf = fresh // its final outputs, for artifact GC
		}
	}
	if background && hasDeletionGC(wf) && e.removeLater(wf) {
		return nil
	}
	return e.removeNow(ctx, wf)
}

// removeNow deletes wf's artifacts due at its deletion, then wf.
func (e *Engine) removeNow(ctx context.Context, wf *wfv1.Workflow) error {
	namespace, name, uid := wf.Metadata.Namespace, wf.Metadata.Name, wf.Metadata.UID
	if err := e.gcOnDelete(ctx, wf); err != nil {
		return fmt.Errorf("deleting workflow %s/%s: %w", namespace, name, err)
	}
	e.forgetRepository(uid)
	var grants []domain.Grant
	del := func(tx store.Tx) error {
		var err error
		grants, err = e.locks.ReleaseWorkflow(ctx, tx, namespace, name, e.now())
		if err != nil {
			return err
		}
		if err := archiveBeforeDelete(ctx, tx, wf); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return tx.DeleteWorkflow(ctx, uid)
	}
	err := e.store.Update(ctx, del)
	if e.releaseReserve(err, "the delete of workflow "+namespace+"/"+name) {
		err = e.store.Update(ctx, del)
	}
	if err == nil || errors.Is(err, store.ErrNotFound) {
		e.removeStepDirs(uid)
	}
	if err != nil {
		return fmt.Errorf("deleting workflow %s/%s: %w", namespace, name, err)
	}
	e.deliver(grants)
	e.hub.publish(Deleted, wf)
	return nil
}

// removeStepDirs removes the step directories this node keeps for a
// workflow; on a shared store, other nodes' disks keep theirs.
func (e *Engine) removeStepDirs(uid string) {
	dir, err := e.inside(uid)
	if err != nil {
		e.log.Warn("not removing a workflow's step directories", "uid", uid, "err", err)
		return
	}
	if err := os.RemoveAll(dir); err != nil {
		e.log.Warn("cannot remove a deleted workflow's step directories", "dir", dir, "err", err)
	}
}

// removeVolumes removes a workflow's volumes (volumes.go) from this
// node's data directory.
func (e *Engine) removeVolumes(uid string) {
	dir, err := e.inside(uid, volumesDirName)
	if err != nil {
		e.log.Warn("not removing a workflow's volumes", "uid", uid, "err", err)
		return
	}
	if err := os.RemoveAll(dir); err != nil {
		e.log.Warn("cannot remove a deleted workflow's volumes", "dir", dir, "err", err)
	}
}

// LogPaths returns where the logs of a workflow's steps are kept, by node
// ID. A path outside the data directory (recorded by an older engine for
// a hostile name) is left out, so it is never read.
func (e *Engine) LogPaths(ctx context.Context, uid string) (map[string]string, error) {
	var out map[string]string
	err := e.store.View(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.Logs(ctx, uid)
		return err
	})
	root := e.workflowsRoot()
	for id, p := range out {
		if !within(root, p) {
			delete(out, id)
		}
	}
	return out, err
}

// Running says whether the workflow with uid is being run by this engine.
func (e *Engine) Running(uid string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.runs[uid] != nil
}

// StartEstimate returns a waiting workflow's (nodeID "") or node's
// estimated start (eta.Text says it in words: "starts in ~2m10s (90%:
// 5m)", "start time unknown (no history yet)"). False when it does not
// wait.
func (e *Engine) StartEstimate(namespace, name, nodeID string) (eta.Start, bool) {
	return e.locks.Estimate(domain.HolderKey{Namespace: namespace, Workflow: name, NodeID: nodeID}.String(), e.now())
}
