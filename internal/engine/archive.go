package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/reconcile"
	"github.com/semaflow/semaflow/internal/store"
)

// archiveEnded copies a workflow that ended into the archive, where it
// stays after the live one is deleted (by a user or its ttlStrategy), as
// Argo's workflow archive keeps it. A copy that cannot be written now is
// written when the workflow is deleted (remove), so none is lost to a
// full disk or a restart in between.
func (e *Engine) archiveEnded(wf *wfv1.Workflow) {
	if !isEnded(wf.Status.Phase) || e.detached.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), archiveWriteTimeout)
	defer cancel()
	err := e.store.Update(ctx, func(tx store.Tx) error { return tx.ArchiveWorkflow(ctx, wf) })
	if err != nil {
		e.log.Warn("archive: cannot archive an ended workflow now; it is archived when it is deleted",
			"workflow", wf.Metadata.Namespace+"/"+wf.Metadata.Name, "err", err)
	}
}

// archiveWriteTimeout bounds the archive write at a workflow's end: the
// run's goroutine waits for it.
const archiveWriteTimeout = 30 * time.Second

// archiveBeforeDelete archives an ended workflow that is about to be
// deleted in tx, unless it is archived already: the copy its end wrote
// may have failed, or an engine stopped between its end and its copy.
func archiveBeforeDelete(ctx context.Context, tx store.Tx, wf *wfv1.Workflow) error {
	if !isEnded(wf.Status.Phase) {
		return nil
	}
	_, err := tx.GetArchivedWorkflow(ctx, wf.Metadata.UID)
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	whole, err := tx.GetWorkflowByUID(ctx, wf.Metadata.UID)
	if err != nil {
		return err
	}
	return tx.ArchiveWorkflow(ctx, whole)
}

// ListArchived lists archived workflows without their nodes, newest
// first.
func (e *Engine) ListArchived(ctx context.Context, opts store.ArchiveListOptions) ([]*wfv1.Workflow, string, error) {
	var out []*wfv1.Workflow
	var next string
	err := e.store.View(ctx, func(tx store.Tx) error {
		var err error
		out, next, err = tx.ListArchivedWorkflows(ctx, opts)
		return err
	})
	return out, next, err
}

// GetArchived returns an archived workflow whole.
func (e *Engine) GetArchived(ctx context.Context, uid string) (*wfv1.Workflow, error) {
	var wf *wfv1.Workflow
	err := e.store.View(ctx, func(tx store.Tx) error {
		var err error
		wf, err = tx.GetArchivedWorkflow(ctx, uid)
		return err
	})
	return wf, err
}

// DeleteArchived removes an archived workflow; the live one, if any, is
// left as it is.
func (e *Engine) DeleteArchived(ctx context.Context, uid string) error {
	return e.store.Update(ctx, func(tx store.Tx) error { return tx.DeleteArchivedWorkflow(ctx, uid) })
}

// ArchivedLabels lists the label keys of archived workflows (key "") or
// the values of label key, in namespaces (none: all).
func (e *Engine) ArchivedLabels(ctx context.Context, key string, namespaces []string) ([]string, error) {
	var out []string
	err := e.store.View(ctx, func(tx store.Tx) error {
		var err error
		if key == "" {
			out, err = tx.ArchivedLabelKeys(ctx, namespaces)
		} else {
			out, err = tx.ArchivedLabelValues(ctx, key, namespaces)
		}
		return err
	})
	return out, err
}

// ResubmitArchived submits a new workflow with the spec of an archived
// one, as Resubmit does for a live one.
func (e *Engine) ResubmitArchived(ctx context.Context, uid string, params []string, memoized bool) (*wfv1.Workflow, error) {
	old, err := e.GetArchived(ctx, uid)
	if err != nil {
		return nil, err
	}
	return e.resubmitFrom(ctx, old, params, memoized)
}

// RetryArchived runs an archived Failed or Errored workflow again under
// its own name, keeping what succeeded (as Retry), when no live workflow
// has that name any more, as Argo's archive retry does; with a live one
// it is refused (retry that one).
func (e *Engine) RetryArchived(ctx context.Context, uid string, opts reconcile.RetryOptions) (*wfv1.Workflow, error) {
	e.retryMu.Lock()
	defer e.retryMu.Unlock()
	wf, err := e.GetArchived(ctx, uid)
	if err != nil {
		return nil, err
	}
	m := &wf.Metadata
	if _, err := e.Get(ctx, m.Namespace, m.Name); err == nil {
		return nil, fmt.Errorf("workflow %s/%s is still listed: retry it rather than its archived copy: %w", m.Namespace, m.Name, store.ErrExists)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	_, err = reconcile.PrepareRetry(wf, opts, e.objects)
	var bad *reconcile.SelectorError
	switch {
	case errors.As(err, &bad):
		return nil, fmt.Errorf("%w: %w", err, ErrInvalid)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", err, ErrState)
	}
	// A new live workflow: its own UID (the archived copy keeps its
	// entry) and no step directory of the old one's.
	m.UID = newWorkflowUID()
	m.ResourceVersion = ""
	syncPhaseLabels(wf)
	syncExpiry(wf)
	syncNodeLabel(wf, e.nodeLabel())
	out, err := e.createAll(ctx, []*wfv1.Workflow{wf}, nil)
	if err != nil {
		return nil, fmt.Errorf("retrying archived workflow %s/%s: %w", m.Namespace, m.Name, err)
	}
	return out[0], nil
}

// StartArchiveTTL removes archived workflows that finished more than ttl
// ago, now and then every archiveSweep(ttl), until the engine stops; a
// ttl of 0 keeps them. Each pass removes at most archiveSweepBatch per
// transaction, so a large backlog never holds the store for long.
func (e *Engine) StartArchiveTTL(ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	e.mu.Lock()
	if e.archiveStop != nil {
		e.mu.Unlock()
		return
	}
	stop, done := make(chan struct{}), make(chan struct{})
	e.archiveStop, e.archiveDone = stop, done
	e.mu.Unlock()
	go func() {
		defer close(done)
		t := time.NewTimer(0)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			e.sweepArchive(stop, ttl)
			t.Reset(archiveSweep(ttl))
		}
	}()
}

func (e *Engine) stopArchiveTTL() {
	e.mu.Lock()
	stop, done := e.archiveStop, e.archiveDone
	e.archiveStop, e.archiveDone = nil, nil
	e.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}

// archiveSweepBatch bounds the entries one transaction of a sweep
// removes; archiveSweepRounds the transactions of one sweep.
const (
	archiveSweepBatch  = 500
	archiveSweepRounds = 100
)

// archiveSweep is how often retention runs: a tenth of the TTL, between
// a second and ten minutes, so an entry outlives its TTL by a tenth at
// most (and by ten minutes for long TTLs).
func archiveSweep(ttl time.Duration) time.Duration {
	return min(max(ttl/10, time.Second), 10*time.Minute)
}

func (e *Engine) sweepArchive(stop <-chan struct{}, ttl time.Duration) {
	before := e.now().Add(-ttl)
	for range archiveSweepRounds {
		select {
		case <-stop:
			return
		default:
		}
		var n int
		ctx, cancel := context.WithTimeout(context.Background(), archiveWriteTimeout)
		err := e.store.Update(ctx, func(tx store.Tx) error {
			var err error
			n, err = tx.DeleteArchivedBefore(ctx, before, archiveSweepBatch)
			return err
		})
		cancel()
		if err != nil {
			e.log.Warn("archive: cannot remove archived workflows past --archive-ttl; trying again later", "err", err)
			return
		}
		if n > 0 {
			e.log.Info("archive: removed archived workflows past --archive-ttl", "count", n, "ttl", ttl)
		}
		if n < archiveSweepBatch {
			return
		}
	}
}
