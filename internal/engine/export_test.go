package engine

// HoldDeadlockChecks stops e's deadlock detector from running, as an
// engine that died the moment a cycle closed: its checks are owed but
// never made. Tests only.
func HoldDeadlockChecks(e *Engine) {
	e.dl.mu.Lock()
	e.dl.running = true
	e.dl.mu.Unlock()
}

// SetNameSuffixes makes e give generated names the suffixes of next, in
// turn, the last one again once they run out. Tests only.
func SetNameSuffixes(e *Engine, next ...string) {
	e.suffix = func() string {
		s := next[0]
		if len(next) > 1 {
			next = next[1:]
		}
		return s
	}
}

// GroupQueued is how many operations wait for e's next group
// transaction. Tests only.
func GroupQueued(e *Engine) int { return e.group.Queued() }

// RunIdle says whether the workflow named ns/name has a live run with no
// goroutine driving it and no round owed: the state a grant may be
// folded into its releaser's transaction in. Tests only.
func RunIdle(e *Engine, ns, name string) bool {
	e.mu.Lock()
	r := e.runs[e.byName[ns+"/"+name]]
	e.mu.Unlock()
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.active && !r.dirty
}

// KeptFinal says, once the run of uid has ended, whether it kept its
// final workflow for Wait (false when uid has no live run now). Tests
// only.
func KeptFinal(e *Engine, uid string) func() bool {
	e.mu.Lock()
	r := e.runs[uid]
	e.mu.Unlock()
	return func() bool {
		if r == nil {
			return false
		}
		<-r.done
		return r.outcome.final != nil
	}
}
