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
// exit, a stop, a grant) ends the wait at once.
const startedWait = 20 * time.Millisecond

// onlyStarts says whether the events owed to the run are all StepStarted
// of steps that are not daemons, with nothing else (a message) owed: a
// daemon's start lets its dependents go on, so it is news at once.
func (r *run) onlyStarts() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending) == 0 || r.message != "" {
		return false
	}
	for _, ev := range r.pending {
		if ev.Kind != reconcile.StepStarted || r.daemons[ev.NodeID] {
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

// markDaemon notes that the step of node id is a daemon.
func (r *run) markDaemon(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.daemons == nil {
		r.daemons = map[string]bool{}
	}
	r.daemons[id] = true
}
