package engine

import (
	"errors"
	"sync"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
)

// maxBackgroundGC bounds the deletions whose artifact GC runs at once in
// the background; past it a delete collects before it answers.
const maxBackgroundGC = 32

// backgroundGC tracks the deletions collecting artifacts off the request
// path: one per workflow, counted so Detach can wait for them.
type backgroundGC struct {
	mu     sync.Mutex
	active map[string]bool
	wg     sync.WaitGroup
}

// removeLater deletes wf on a goroutine of its own, its artifacts first
// (removeNow); false when it cannot (too many at once, or the engine is
// detaching) and the caller must do it itself. A delete of a workflow
// already being deleted is that same deletion.
func (e *Engine) removeLater(wf *wfv1.Workflow) bool {
	uid := wf.Metadata.UID
	g := &e.bgGC
	g.mu.Lock()
	switch {
	case g.active[uid]:
		g.mu.Unlock()
		return true
	case len(g.active) >= maxBackgroundGC || e.detached.Load():
		g.mu.Unlock()
		return false
	}
	if g.active == nil {
		g.active = map[string]bool{}
	}
	g.active[uid] = true
	g.wg.Add(1)
	g.mu.Unlock()
	go func() {
		defer g.wg.Done()
		defer func() {
			g.mu.Lock()
			delete(g.active, uid)
			g.mu.Unlock()
		}()
		// Cancelled when the engine detaches; a collection that fails
		// records ArtifactGCError on the workflow, which stays.
		err := e.removeNow(e.transferBase(), wf)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			e.log.Warn("a deleted workflow is kept", "workflow", wf.Metadata.Namespace+"/"+wf.Metadata.Name, "err", err)
		}
	}()
	return true
}

// waitBackgroundGC waits for the deletions removeLater started (Detach
// cancels their transfers first).
func (e *Engine) waitBackgroundGC() { e.bgGC.wg.Wait() }
