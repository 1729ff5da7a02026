package reconcile

import (
	"maps"
	"sort"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/spec"
)

// syncStatus returns the workflow's lock status, creating it.
func (o *op) syncStatus() *wfv1.SynchronizationStatus {
	if o.wf.Status.Synchronization == nil {
		o.wf.Status.Synchronization = &wfv1.SynchronizationStatus{}
	}
	return o.wf.Status.Synchronization
}

// holds says whether holder holds its locks.
func (o *op) holds(holder string) bool {
	s := o.wf.Status.Synchronization
	return s != nil && s.Tokens[holder] != nil
}

// waiting says whether holder has asked for its locks and waits. Every
// node under a lock asks on every walk, so the wait lists are indexed
// once per call (waitIndex) rather than scanned each time.
func (o *op) waiting(holder string) bool {
	return o.waitIndex()[holder]
}

// waitIndex is the set of waiting holders, built on first use from the
// status; request and dropWaiting keep it current.
func (o *op) waitIndex() map[string]bool {
	if o.waiters == nil {
		o.waiters = map[string]bool{}
		for _, h := range WaitingHolders(o.wf) {
			o.waiters[h] = true
		}
	}
	return o.waiters
}

// request queues holder for its locks, once.
func (o *op) request(holder, nodeID string, refs []spec.LockRef) {
	if o.holds(holder) || o.waiting(holder) {
		return
	}
	created := o.now
	if o.wf.Metadata.CreationTimestamp != nil {
		created = *o.wf.Metadata.CreationTimestamp
	}
	req := LockRequest{Holder: holder, NodeID: nodeID, Locks: refs, Priority: o.spec.GetPriority(), Created: created}
	if n := o.nodes[nodeID]; n != nil {
		req.NodeName = n.Name
		parents := o.parentIndex()
		// Bounded by the node count: a parent chain never repeats.
		for id, i := parents[nodeID], 0; id != "" && i < len(o.nodes); id, i = parents[id], i+1 {
			req.Under = append(req.Under, domain.HolderKey{Namespace: o.wf.Metadata.Namespace, Workflow: o.wf.Metadata.Name, NodeID: id}.String())
		}
	}
	o.plan.Acquire = append(o.plan.Acquire, req)
	s := o.syncStatus()
	for _, r := range refs {
		if r.IsMutex {
			if s.Mutex == nil {
				s.Mutex = &wfv1.MutexStatus{}
			}
			s.Mutex.Waiting = append(s.Mutex.Waiting, wfv1.MutexHolding{Mutex: r.Key, Holder: holder})
			continue
		}
		if s.Semaphore == nil {
			s.Semaphore = &wfv1.SemaphoreStatus{}
		}
		// Not yet waiting anywhere (checked above): no need to look
		// through the key's holders.
		s.Semaphore.Waiting = appendHolder(s.Semaphore.Waiting, r.Key, holder)
	}
	o.waitIndex()[holder] = true
}

// granted records that holder holds its locks. The status keeps tokens
// by lock, as Argo's does.
func (o *op) granted(holder string, tokens []domain.Token) {
	s := o.syncStatus()
	o.dropWaiting(holder)
	if o.holds(holder) {
		// Granted again, with fresh tokens, by the node that adopted this
		// workflow from a lost one: the new tokens replace the old.
		if s.Semaphore != nil {
			s.Semaphore.Holding = removeHolder(s.Semaphore.Holding, holder)
		}
		if s.Mutex != nil {
			s.Mutex.Holding = removeMutexHolder(s.Mutex.Holding, holder)
		}
	}
	if s.Tokens == nil {
		s.Tokens = map[string]map[string]uint64{}
	}
	byLock := make(map[string]uint64, len(tokens))
	for _, t := range tokens {
		byLock[t.Lock] = t.Value
	}
	s.Tokens[holder] = byLock
	keys := make([]string, 0, len(byLock))
	for k := range byLock {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if lk, err := domain.ParseLockKey(k); err == nil && lk.Kind.IsMutex() {
			if s.Mutex == nil {
				s.Mutex = &wfv1.MutexStatus{}
			}
			s.Mutex.Holding = append(s.Mutex.Holding, wfv1.MutexHolding{Mutex: k, Holder: holder})
			continue
		}
		if s.Semaphore == nil {
			s.Semaphore = &wfv1.SemaphoreStatus{}
		}
		s.Semaphore.Holding = addHolder(s.Semaphore.Holding, k, holder)
	}
	if k, err := domain.ParseHolderKey(holder); err == nil && k.NodeID != "" {
		if n := o.nodes[k.NodeID]; n != nil {
			n.SynchronizationStatus = &wfv1.NodeSynchronizationStatus{Tokens: maps.Clone(byLock)}
			if n.Phase == wfv1.PhasePending && strings.HasPrefix(n.Message, "Waiting for ") {
				n.Message = ""
			}
			o.touch(n)
		}
	}
}

// release ends holder's hold or wait, once, and plans the release.
func (o *op) release(holder string) {
	if !o.holds(holder) && !o.waiting(holder) {
		return
	}
	o.plan.Release = append(o.plan.Release, holder)
	o.dropWaiting(holder)
	s := o.syncStatus()
	delete(s.Tokens, holder)
	if s.Semaphore != nil {
		s.Semaphore.Holding = removeHolder(s.Semaphore.Holding, holder)
	}
	if s.Mutex != nil {
		s.Mutex.Holding = removeMutexHolder(s.Mutex.Holding, holder)
	}
}

func (o *op) dropWaiting(holder string) {
	s := o.wf.Status.Synchronization
	if s == nil {
		return
	}
	delete(o.waitIndex(), holder)
	if s.Semaphore != nil {
		s.Semaphore.Waiting = removeHolder(s.Semaphore.Waiting, holder)
	}
	if s.Mutex != nil {
		s.Mutex.Waiting = removeMutexHolder(s.Mutex.Waiting, holder)
	}
}

// releaseAll ends every hold and wait of the workflow, for its end.
func (o *op) releaseAll() {
	s := o.wf.Status.Synchronization
	if s == nil {
		return
	}
	var holders []string
	for h := range s.Tokens {
		holders = append(holders, h)
	}
	if s.Semaphore != nil {
		for _, w := range s.Semaphore.Waiting {
			holders = append(holders, w.Holders...)
		}
	}
	if s.Mutex != nil {
		for _, w := range s.Mutex.Waiting {
			holders = append(holders, w.Holder)
		}
	}
	sort.Strings(holders)
	// All at once: one release at a time rescans every list for each
	// holder, quadratic in a large loop's waiters.
	gone := map[string]bool{}
	for _, h := range holders {
		if !gone[h] {
			gone[h] = true
			o.plan.Release = append(o.plan.Release, h)
		}
	}
	o.waiters = map[string]bool{}
	for h := range gone {
		delete(s.Tokens, h)
	}
	if s.Semaphore != nil {
		s.Semaphore.Holding = removeHolders(s.Semaphore.Holding, gone)
		s.Semaphore.Waiting = removeHolders(s.Semaphore.Waiting, gone)
	}
	if s.Mutex != nil {
		s.Mutex.Holding = removeMutexHolders(s.Mutex.Holding, gone)
		s.Mutex.Waiting = removeMutexHolders(s.Mutex.Waiting, gone)
	}
}

// lockTokens are the tokens a step sees: those of its own node and every
// enclosing node that holds locks, and the workflow's.
func (o *op) lockTokens(node *wfv1.NodeStatus) map[string]uint64 {
	s := o.wf.Status.Synchronization
	if s == nil || len(s.Tokens) == 0 {
		return nil
	}
	out := map[string]uint64{}
	ns, wf := o.wf.Metadata.Namespace, o.wf.Metadata.Name
	maps.Copy(out, s.Tokens[domain.HolderKey{Namespace: ns, Workflow: wf}.String()])
	parents := o.parentIndex()
	for id, depth := node.ID, 0; id != "" && depth < 10000; id, depth = parents[id], depth+1 {
		maps.Copy(out, s.Tokens[domain.HolderKey{Namespace: ns, Workflow: wf, NodeID: id}.String()])
	}
	return out
}

// parentIndex maps each node to its parent. It is built once per call, on
// first use (only steps under locks need it), and newNode keeps it current.
func (o *op) parentIndex() map[string]string {
	if o.parents == nil {
		o.parents = map[string]string{}
		for id, n := range o.nodes {
			for _, c := range n.Children {
				o.parents[c] = id
			}
		}
	}
	return o.parents
}

func addHolder(list []wfv1.SemaphoreHolding, key, holder string) []wfv1.SemaphoreHolding {
	for i := range list {
		if list[i].Semaphore == key {
			if !contains(list[i].Holders, holder) {
				list[i].Holders = append(list[i].Holders, holder)
			}
			return list
		}
	}
	return append(list, wfv1.SemaphoreHolding{Semaphore: key, Holders: []string{holder}})
}

// appendHolder adds a holder known not to be in key's entry.
func appendHolder(list []wfv1.SemaphoreHolding, key, holder string) []wfv1.SemaphoreHolding {
	for i := range list {
		if list[i].Semaphore == key {
			list[i].Holders = append(list[i].Holders, holder)
			return list
		}
	}
	return append(list, wfv1.SemaphoreHolding{Semaphore: key, Holders: []string{holder}})
}

func removeHolders(list []wfv1.SemaphoreHolding, gone map[string]bool) []wfv1.SemaphoreHolding {
	kept := list[:0]
	for _, e := range list {
		hs := e.Holders[:0]
		for _, h := range e.Holders {
			if !gone[h] {
				hs = append(hs, h)
			}
		}
		e.Holders = hs
		if len(hs) > 0 {
			kept = append(kept, e)
		}
	}
	return kept
}

func removeMutexHolders(list []wfv1.MutexHolding, gone map[string]bool) []wfv1.MutexHolding {
	kept := list[:0]
	for _, h := range list {
		if !gone[h.Holder] {
			kept = append(kept, h)
		}
	}
	return kept
}

func removeHolder(list []wfv1.SemaphoreHolding, holder string) []wfv1.SemaphoreHolding {
	kept := list[:0]
	for _, e := range list {
		hs := e.Holders[:0]
		for _, h := range e.Holders {
			if h != holder {
				hs = append(hs, h)
			}
		}
		e.Holders = hs
		if len(hs) > 0 {
			kept = append(kept, e)
		}
	}
	return kept
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func removeMutexHolder(list []wfv1.MutexHolding, holder string) []wfv1.MutexHolding {
	kept := list[:0]
	for _, h := range list {
		if h.Holder != holder {
			kept = append(kept, h)
		}
	}
	return kept
}

// WaitingHolders lists the holders a workflow's status records as waiting
// for their locks.
func WaitingHolders(wf *wfv1.Workflow) []string {
	s := wf.Status.Synchronization
	if s == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	if s.Semaphore != nil {
		for _, w := range s.Semaphore.Waiting {
			for _, h := range w.Holders {
				if !seen[h] {
					seen[h] = true
					out = append(out, h)
				}
			}
		}
	}
	if s.Mutex != nil {
		for _, w := range s.Mutex.Waiting {
			if !seen[w.Holder] {
				seen[w.Holder] = true
				out = append(out, w.Holder)
			}
		}
	}
	return out
}
