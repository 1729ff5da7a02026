package engine

import (
	"time"

	"github.com/semaflow/semaflow/internal/reconcile"
)

// startedWait is how long a round whose only news is that steps started
// waits for more before it is reconciled and written. A short step's exit
// usually comes within it, and the two are then written by one commit
// instead of two; a step's start time is the one its supervisor reported,
// so only how soon Running shows is delayed, and any other event (an
// exit, a stop, a grant) ends the wait at once. A workflow in which a
// start may be news to more than its node (a `Running` hook, a daemon's
// dependents: reconcile.StartsMayBeNews) never waits.
const startedWait = 20 * time.Millisecond

// onlyStarts says whether the events owed to the run are all StepStarted
// of a workflow whose starts are no news to other nodes, with nothing
// else (a message) owed. Only the driving goroutine calls it.
func (r *run) onlyStarts() bool {
	if r.startsNews == nil {
		news := reconcile.StartsMayBeNews(r.wf)
		if !news || !reconcile.TemplatePending(r.wf) {
			r.startsNews = &news
		}
		if news {
			return false
		}
	} else if *r.startsNews {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending) == 0 || r.message != "" {
		return false
	}
	for _, ev := range r.pending {
		if ev.Kind != reconcile.StepStarted {
			return false
		}
	}
	return true
}

// awaitMoreThanStarts lets a round of starts alone wait up to
// startedWait for more events. It returns false if the engine detached
// meanwhile.
func (r *run) awaitMoreThanStarts() bool {
	if !r.onlyStarts() {
		return true
	}
	return r.pause(startedWait, func() bool { return !r.onlyStarts() })
}
