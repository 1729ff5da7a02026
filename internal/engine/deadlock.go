package engine

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/reconcile"
	"github.com/semaflow/semaflow/internal/store"
)

// The deadlock detector: lint finds lock-order inversions it can see,
// but a template chosen at run time ({{...}} in a template name, a
// `when`) or a run with --no-lint can still close a cycle of waits. A
// cycle closes on any lock-state change that takes away a way to go on:
// a new waiter, a release (a semaphore's last holder that could go on
// leaves, the others are stuck), a lowered limit. (A grant goes to a node
// whose children have not started, so it closes none.) The detector runs
// after each such change while anything waits, over the lock manager's
// queues, and fails the youngest waiter of each cycle with a message
// naming the cycle. It is one goroutine at a time per engine, started by
// a kick and ending when no kick is pending, so an idle engine runs none;
// kicks during a check are folded into one more check, made after a gap
// of a few times the last check's length (at most detectGapMax), so a
// busy engine spends a bounded share of its time on it.

// maxDeadlockVertices bounds one detection: beyond it (holders and
// waiters together) the check is skipped and pendingTimeout remains.
const maxDeadlockVertices = 200000

// Gap between two checks: detectGapFactor times the last one's length,
// at most detectGapMax (which bounds how late a cycle is broken).
const (
	detectGapFactor = 4
	detectGapMax    = 200 * time.Millisecond
)

// waiterInfo is what the detector knows of a holder from its request
// beyond what the store keeps: its node's name. (The holders a waiter
// runs under are stored with it, so every engine on the store, and the
// next one after a restart, sees the same graph.)
type waiterInfo struct {
	name string
}

type deadlocks struct {
	e *Engine

	mu      sync.Mutex
	info    map[string]waiterInfo
	failed  map[string]bool // victims told to fail, until their holder is gone
	dirty   bool
	running bool
	last    time.Duration // how long the last check took
}

func newDeadlocks(e *Engine) *deadlocks {
	return &deadlocks{e: e, info: map[string]waiterInfo{}, failed: map[string]bool{}}
}

// requested records the engine's new lock requests and, when one of them
// waits or a release leaves others waiting, runs a detection.
func (d *deadlocks) requested(reqs []reconcile.LockRequest, released []string, waiting map[string]string) {
	d.mu.Lock()
	for _, h := range released {
		delete(d.info, h)
		delete(d.failed, h)
	}
	for _, r := range reqs {
		d.info[r.Holder] = waiterInfo{name: r.NodeName}
	}
	d.mu.Unlock()
	switch {
	case len(waiting) > 0:
		d.kick()
	case len(released) > 0:
		d.changed()
	}
}

// changed runs a detection after a release or a limit change made
// elsewhere than a workflow's commit (delete, sync set, a ConfigMap
// applied), when a cycle is possible.
func (d *deadlocks) changed() {
	d.kick()
}

// resumed checks the queues an engine rebuilt at its start: a cycle may
// have closed as the last engine died, before its check ran.
func (d *deadlocks) resumed() {
	if st, ok := d.e.locks.QueueState(); ok && len(st.Waiters) > 0 {
		d.kick()
	}
}

// kick owes a detection and starts a goroutine for it unless one runs.
// Only a waiter that runs under a holder (a node's request) closes a
// cycle: while none waits, as when workflow-level requests queue on a
// semaphore, there is nothing to look for. One that comes later kicks
// again, and a release or a limit change never makes one.
func (d *deadlocks) kick() {
	if !d.e.locks.MayDeadlock() {
		return
	}
	d.mu.Lock()
	d.dirty = true
	if d.running {
		d.mu.Unlock()
		return
	}
	d.running = true
	d.mu.Unlock()
	d.e.wg.Add(1)
	go d.loop()
}

func (d *deadlocks) loop() {
	defer d.e.wg.Done()
	for {
		d.mu.Lock()
		if !d.dirty || d.e.detached.Load() {
			d.running = false
			d.mu.Unlock()
			return
		}
		d.dirty = false
		gap := min(d.last*detectGapFactor, detectGapMax)
		d.mu.Unlock()
		if gap > 0 {
			time.Sleep(gap) // bounded: detectGapMax
		}
		start := time.Now()
		d.detect()
		d.mu.Lock()
		d.last = time.Since(start)
		d.mu.Unlock()
	}
}

func (d *deadlocks) detect() {
	if !d.e.locks.MayDeadlock() {
		return // it changed since the kick: no cycle now
	}
	st, ok := d.e.locks.QueueState()
	if !ok {
		return // the next commit rebuilds the queues and kicks again
	}
	d.check(st)
}

// detectStored checks the lock state as the store holds it, for a node
// on a shared store: another node's commit may have closed a cycle whose
// victim runs here. The shared loop calls it at its poll while this node
// has waiters.
func (d *deadlocks) detectStored(ls *store.LockState) {
	st := lockq.State{Waiters: ls.Waiters}
	for _, l := range ls.Locks {
		st.Locks = append(st.Locks, lockq.LockState{Key: l.Key, Limit: l.Limit, Fence: l.Fence})
	}
	for holder, toks := range ls.Holds {
		st.Holders = append(st.Holders, domain.Grant{Holder: holder, Tokens: toks})
	}
	slices.SortFunc(st.Holders, func(a, b domain.Grant) int { return strings.Compare(a.Holder, b.Holder) })
	d.check(st)
}

func (d *deadlocks) check(st lockq.State) {
	d.mu.Lock()
	live := map[string]bool{}
	for _, w := range st.Waiters {
		live[w.Holder] = true
	}
	for h := range d.failed {
		if !live[h] {
			delete(d.failed, h)
		}
	}
	d.mu.Unlock()
	found, err := lockq.FindDeadlocks(st, nil, maxDeadlockVertices)
	if errors.Is(err, lockq.ErrGraphTooLarge) {
		d.e.log.Warn("deadlock check skipped: too many holders and waiters", "limit", maxDeadlockVertices)
		return
	}
	for _, dl := range found {
		d.fail(dl)
	}
}

// fail tells the victim's workflow to fail its wait, when this engine
// runs that workflow; on a shared store the engine that owns it does.
func (d *deadlocks) fail(dl lockq.Deadlock) {
	d.mu.Lock()
	if d.failed[dl.Victim] {
		d.mu.Unlock()
		return
	}
	msg := dl.Describe(d.nameLocked)
	d.mu.Unlock()
	k, err := domain.ParseHolderKey(dl.Victim)
	if err != nil {
		return
	}
	e := d.e
	e.mu.Lock()
	r := e.runs[e.byName[k.Namespace+"/"+k.Workflow]]
	e.mu.Unlock()
	if r == nil {
		return
	}
	d.mu.Lock()
	d.failed[dl.Victim] = true
	d.mu.Unlock()
	e.log.Warn("deadlock: failing the youngest waiter", "waiter", dl.Victim, "cycle", msg)
	r.push(reconcile.Event{Kind: reconcile.LockFailed, Holder: dl.Victim, Message: msg, At: e.now()}, "")
}

// nameLocked names a holder as users see it: ns/wf, and the node's name
// when known (else its id).
func (d *deadlocks) nameLocked(holder string) string {
	k, err := domain.ParseHolderKey(holder)
	if err != nil {
		return holder
	}
	wf := k.Namespace + "/" + k.Workflow
	if k.NodeID == "" {
		return wf
	}
	if n := d.info[holder].name; n != "" {
		return wf + " (node " + n + ")"
	}
	return wf + " (node " + k.NodeID + ")"
}
