package engine

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
)

// AnnotationExpires says when ttlStrategy deletes an ended workflow
// (RFC 3339). The engine writes it when the workflow ends and removes it
// when it runs again (a submitted value never stands): engines that start
// later find what they must delete from it without reading every ended
// workflow whole. The time is checked against the stored workflow before
// anything is deleted.
const AnnotationExpires = "semaflow.dev/expires-at"

// Timing of the TTL reaper.
const (
	// ttlGrace is added to a workflow's expiry before it is deleted, as
	// Argo queues it a second late: a client that saw the workflow end
	// has a moment to read its final state, even with a TTL of 0.
	ttlGrace = time.Second
	// ttlRescan is how often a node of a shared store looks for expiries
	// it has not heard of: workflows another node ended, whose timers
	// went with that node if it stopped.
	ttlRescan = time.Minute
	// ttlRetry is when a deletion the store refused is tried again.
	ttlRetry = 10 * time.Second
)

// ttlExpiry says when wf's ttlStrategy has it deleted; false for a
// workflow that has not ended or whose strategy keeps it. The field that
// applies is Argo's TTL controller's pick: secondsAfterFailure for a
// Failed workflow (an Error one is not counted as failed),
// secondsAfterSuccess for a Succeeded one, else secondsAfterCompletion.
// The workflow's own strategy replaces its WorkflowTemplate's whole
// (Argo's Workflow.GetTTLStrategy).
func ttlExpiry(wf *wfv1.Workflow) (time.Time, bool) {
	st := &wf.Status
	s := wf.Spec.TTLStrategy
	if s == nil && st.StoredWorkflowTemplateSpec != nil {
		s = st.StoredWorkflowTemplateSpec.TTLStrategy
	}
	if s == nil || st.FinishedAt == nil {
		return time.Time{}, false
	}
	var secs *int32
	switch {
	case st.Phase == wfv1.PhaseFailed && s.SecondsAfterFailure != nil:
		secs = s.SecondsAfterFailure
	case st.Phase == wfv1.PhaseSucceeded && s.SecondsAfterSuccess != nil:
		secs = s.SecondsAfterSuccess
	case isEnded(st.Phase) && s.SecondsAfterCompletion != nil:
		secs = s.SecondsAfterCompletion
	default:
		return time.Time{}, false
	}
	return st.FinishedAt.Add(time.Duration(max(0, *secs)) * time.Second), true
}

func isEnded(phase string) bool {
	return phase == wfv1.PhaseSucceeded || phase == wfv1.PhaseFailed || phase == wfv1.PhaseError
}

// syncExpiry makes AnnotationExpires say wf's expiry, or removes it, and
// says whether it changed (then the metadata must be written again).
func syncExpiry(wf *wfv1.Workflow) bool {
	want := ""
	if at, ok := ttlExpiry(wf); ok {
		want = at.UTC().Format(time.RFC3339Nano)
	}
	got, had := wf.Metadata.Annotations[AnnotationExpires]
	switch {
	case want == "" && !had, want != "" && got == want:
		return false
	case want == "":
		delete(wf.Metadata.Annotations, AnnotationExpires)
	default:
		if wf.Metadata.Annotations == nil {
			wf.Metadata.Annotations = map[string]string{}
		}
		wf.Metadata.Annotations[AnnotationExpires] = want
	}
	return true
}

// ttlReaper deletes ended workflows when their ttlStrategy says. It knows
// of them from the runs of this engine that end, and from the store when
// it starts (and, on a shared store, every ttlRescan): expiries are
// recomputed from the stored finish time, so a restart loses none.
//
// On a shared store every node's reaper deletes any workflow that is
// due, whichever node ran it: an ended workflow is owned by no session,
// the node that ran it may be gone for good, and a deletion is one
// transaction that a second node finds already done (store.ErrNotFound).
// Each node removes the step directories on its own disk, so the node
// that ran the steps clears their logs when its own timer comes.
type ttlReaper struct {
	e    *Engine
	mu   sync.Mutex
	due  map[string]ttlDue // by workflow UID
	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

type ttlDue struct {
	namespace, name string
	at              time.Time
}

// StartTTL starts deleting ended workflows as their ttlStrategy says (the
// server does; `semaflow run`, which reports its workflows once they
// end, does not: the next server on its database deletes them when due).
func (e *Engine) StartTTL() {
	t := &ttlReaper{e: e, due: map[string]ttlDue{}, wake: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	e.mu.Lock()
	if e.ttl != nil {
		e.mu.Unlock()
		return
	}
	e.ttl = t
	e.mu.Unlock()
	go t.loop()
}

func (e *Engine) stopTTL() {
	e.mu.Lock()
	t := e.ttl
	e.ttl = nil
	e.mu.Unlock()
	if t != nil {
		close(t.stop)
		<-t.done
	}
}

// ttlEnded hears of a workflow of this engine that ended.
func (e *Engine) ttlEnded(wf *wfv1.Workflow) {
	at, ok := ttlExpiry(wf)
	if !ok {
		return
	}
	e.mu.Lock()
	t := e.ttl
	e.mu.Unlock()
	if t != nil {
		t.add(wf.Metadata.UID, ttlDue{namespace: wf.Metadata.Namespace, name: wf.Metadata.Name, at: at})
	}
}

func (t *ttlReaper) add(uid string, d ttlDue) {
	t.mu.Lock()
	t.due[uid] = d
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (t *ttlReaper) loop() {
	defer close(t.done)
	ctx := context.Background()
	t.scan(ctx)
	scanned := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-t.wake:
		case <-timer.C:
		}
		shared := t.e.isShared()
		if shared && time.Since(scanned) >= ttlRescan {
			t.scan(ctx)
			scanned = time.Now()
		}
		next := t.reap(ctx)
		wait := time.Hour
		if shared {
			wait = max(0, ttlRescan-time.Since(scanned))
		}
		if !next.IsZero() {
			wait = min(wait, max(0, next.Sub(t.e.now())))
		}
		timer.Reset(wait)
	}
}

// scan finds the ended workflows of the store that have an expiry.
func (t *ttlReaper) scan(ctx context.Context) {
	list, _, err := t.e.List(ctx, store.ListOptions{
		Phases: []string{wfv1.PhaseSucceeded, wfv1.PhaseFailed, wfv1.PhaseError},
		Match:  func(wf *wfv1.Workflow) bool { return wf.Metadata.Annotations[AnnotationExpires] != "" },
	})
	if err != nil {
		t.e.log.Warn("ttlStrategy: cannot list ended workflows; looking again later", "err", err)
		return
	}
	for _, wf := range list {
		at, err := time.Parse(time.RFC3339Nano, wf.Metadata.Annotations[AnnotationExpires])
		if err != nil {
			// Checked against the stored workflow when it comes.
			at = t.e.now()
		}
		t.add(wf.Metadata.UID, ttlDue{namespace: wf.Metadata.Namespace, name: wf.Metadata.Name, at: at})
	}
}

// reap deletes the workflows due and returns the earliest time another
// falls due (zero: none).
func (t *ttlReaper) reap(ctx context.Context) time.Time {
	now := t.e.now()
	t.mu.Lock()
	var ripe []string
	for uid, d := range t.due {
		if !d.at.Add(ttlGrace).After(now) {
			ripe = append(ripe, uid)
		}
	}
	batch := make(map[string]ttlDue, len(ripe))
	for _, uid := range ripe {
		batch[uid] = t.due[uid]
		delete(t.due, uid)
	}
	t.mu.Unlock()
	for uid, d := range batch {
		select {
		case <-t.stop:
			return time.Time{}
		default:
		}
		t.expire(ctx, uid, d)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var next time.Time
	for _, d := range t.due {
		if at := d.at.Add(ttlGrace); next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next
}

// expire deletes one workflow if the store still says it is due. One
// that was retried meanwhile runs again (or ended later): its next end
// decides.
func (t *ttlReaper) expire(ctx context.Context, uid string, d ttlDue) {
	e := t.e
	// A retry starts under retryMu: none starts the workflow between the
	// check below and its deletion.
	e.retryMu.Lock()
	defer e.retryMu.Unlock()
	var wf *wfv1.Workflow
	err := e.store.View(ctx, func(tx store.Tx) error {
		var err error
		wf, err = tx.GetWorkflowByUID(ctx, uid)
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		// Deleted already (by a user, or another node's reaper): what it
		// left on this node's disk goes too.
		e.removeStepDirs(uid)
		return
	case err != nil:
		e.log.Warn("ttlStrategy: cannot read a workflow due for deletion; trying again", "workflow", d.namespace+"/"+d.name, "err", err)
		d.at = e.now().Add(ttlRetry)
		t.add(uid, d)
		return
	}
	at, ok := ttlExpiry(wf)
	if !ok || e.Running(uid) {
		return
	}
	if e.now().Before(at) {
		d.at = at
		t.add(uid, d)
		return
	}
	err = e.remove(ctx, wf, false)
	switch {
	case err == nil:
		e.log.Info("ttlStrategy: deleted workflow", "workflow", d.namespace+"/"+d.name, "phase", wf.Status.Phase, "finishedAt", wf.Status.FinishedAt)
	case errors.Is(err, store.ErrNotFound):
	default:
		e.log.Warn("ttlStrategy: cannot delete workflow; trying again", "workflow", d.namespace+"/"+d.name, "err", err)
		d.at = e.now().Add(ttlRetry)
		t.add(uid, d)
	}
}
