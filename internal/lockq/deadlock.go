package lockq

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/semaflow/semaflow/internal/domain"
)

// The wait-for graph over holders and waiters, as a database's deadlock
// detector keeps one over transactions. A waiter waits for the holders of
// each lock it asks for that has no free permit; a holder cannot release
// until every waiter that runs under it has run (a workflow-level holder
// is above every node of its workflow; a node's holder above the nodes
// its template calls). A waiter is deadlocked when no order of releases
// can ever grant it: found as the complement of what can progress, so a
// semaphore with one holder that will release is never a deadlock, a
// lock whose limit is 0 (paused) neither: someone may raise it.

// DeadlockStep is one edge pair of a cycle: Waiter waits for Lock, held
// by Holder; the next step's waiter runs under that holder. Also are the
// lock's other holders (a semaphore's), none of which releases either.
type DeadlockStep struct {
	Waiter, Lock, Holder string
	Also                 []string
}

// Deadlock is one cycle of the wait-for graph and the waiter to fail to
// break it: the youngest (latest workflow creation, then latest enqueued)
// of the cycle's waiters and of the stuck waiters under the holders its
// locks name. (A semaphore's cycle may pass through one holder while a
// younger run holds its other permit: failing the younger is fairer.)
type Deadlock struct {
	Cycle  []DeadlockStep
	Victim string
}

// ErrGraphTooLarge says the detector was given more than its bound.
var ErrGraphTooLarge = fmt.Errorf("lockq: wait-for graph larger than the detector's bound")

// FindDeadlocks returns the cycles of the wait-for graph of st, each once,
// in a stable order. A waiter runs under its workflow's own holder (which
// FindDeadlocks adds), the holders its Under names and those under lists
// for it (nil: none more). Cost is linear in holders, waiters and the locks they
// name; a state with more than maxVertices holders and waiters is refused.
func FindDeadlocks(st State, under func(waiter string) []string, maxVertices int) ([]Deadlock, error) {
	if len(st.Holders)+len(st.Waiters) > maxVertices {
		return nil, ErrGraphTooLarge
	}
	if under == nil && !slices.ContainsFunc(st.Waiters, func(w domain.QueuedWaiter) bool { return runsUnder(&w.Waiter) }) {
		return nil, nil
	}
	return findDeadlocks(st, under), nil
}

// runsUnder says whether w may run under a holder: a node's waiter runs
// under its workflow's holder and those its Under names. Only such a
// waiter closes a cycle (a holder waits only through the waiters under
// it), so a state none of whose waiters runs under anything has none:
// 1,000 workflow-level requests queued on one semaphore are checked in
// one pass instead of building the graph.
func runsUnder(w *domain.Waiter) bool {
	if len(w.Under) > 0 {
		return true
	}
	k, err := domain.ParseHolderKey(w.Holder)
	return err == nil && k.NodeID != ""
}

// findDeadlocks is FindDeadlocks over the whole graph, without its bound
// or its shortcut.
func findDeadlocks(st State, under func(waiter string) []string) []Deadlock {
	limit := map[string]int{}
	for _, l := range st.Locks {
		limit[l.Key] = l.Limit
	}
	holdersOf := map[string][]string{}
	heldBy := map[string][]string{} // holder -> locks
	isHolder := map[string]bool{}
	for _, h := range st.Holders {
		isHolder[h.Holder] = true
		for _, t := range h.Tokens {
			holdersOf[t.Lock] = append(holdersOf[t.Lock], h.Holder)
			heldBy[h.Holder] = append(heldBy[h.Holder], t.Lock)
		}
	}
	// What a waiter needs: its locks with no free permit, not paused.
	full := func(lock string) bool {
		n, ok := limit[lock]
		return ok && n > 0 && len(holdersOf[lock]) >= n
	}
	waiters := map[string]*domain.QueuedWaiter{}
	need := map[string][]string{}      // waiter -> full locks
	waitersOf := map[string][]string{} // full lock -> waiters needing it
	below := map[string][]string{}     // holder -> waiters under it
	for i := range st.Waiters {
		w := &st.Waiters[i]
		waiters[w.Holder] = w
		for _, l := range w.Locks {
			if full(l) {
				need[w.Holder] = append(need[w.Holder], l)
				waitersOf[l] = append(waitersOf[l], w.Holder)
			}
		}
		for _, h := range aboveOf(&w.Waiter, under) {
			if isHolder[h] {
				below[h] = append(below[h], w.Holder)
			}
		}
	}
	// Progress, from what can surely go on: holders with nothing waiting
	// under them, waiters that need no full lock.
	progress := map[string]bool{}
	waitLeft := map[string]int{} // holder -> waiters under it not yet known to progress
	needLeft := map[string]int{} // waiter -> full locks none of whose holders is known to progress
	lockOK := map[string]bool{}
	var work []string
	for _, h := range st.Holders {
		waitLeft[h.Holder] = len(below[h.Holder])
		if waitLeft[h.Holder] == 0 {
			progress[h.Holder] = true
			work = append(work, h.Holder)
		}
	}
	for _, w := range st.Waiters {
		needLeft[w.Holder] = len(need[w.Holder])
		if needLeft[w.Holder] == 0 {
			progress[w.Holder] = true
			work = append(work, w.Holder)
		}
	}
	// Each vertex enters work once; each lock is opened once.
	for len(work) > 0 {
		v := work[len(work)-1]
		work = work[:len(work)-1]
		if w, ok := waiters[v]; ok {
			for _, h := range aboveOf(&w.Waiter, under) {
				if !isHolder[h] || progress[h] {
					continue
				}
				if waitLeft[h]--; waitLeft[h] == 0 {
					progress[h] = true
					work = append(work, h)
				}
			}
			continue
		}
		for _, l := range heldBy[v] {
			if lockOK[l] {
				continue
			}
			lockOK[l] = true
			for _, w := range waitersOf[l] {
				if progress[w] {
					continue
				}
				if needLeft[w]--; needLeft[w] == 0 {
					progress[w] = true
					work = append(work, w)
				}
			}
		}
	}
	// Every stuck vertex has a stuck successor: follow the first one until
	// a vertex repeats. Waiters are tried in queue order, so the result is
	// stable.
	done := map[string]bool{}
	var out []Deadlock
	for _, w0 := range st.Waiters {
		if progress[w0.Holder] || done[w0.Holder] {
			continue
		}
		var path []string // alternating waiter, holder, waiter, ...
		at := map[string]int{}
		v := w0.Holder
		for v != "" && !done[v] {
			if i, seen := at[v]; seen {
				out = append(out, cycleOf(path[i:], waiters, need, holdersOf, below, progress))
				break
			}
			at[v] = len(path)
			path = append(path, v)
			v = stuckNext(v, waiters, need, holdersOf, below, progress)
		}
		for _, p := range path {
			done[p] = true
		}
	}
	return out
}

// aboveOf is the workflow holder of a waiter and the holders it runs
// under, each once, without itself.
func aboveOf(w *domain.Waiter, under func(string) []string) []string {
	var out []string
	if k, err := domain.ParseHolderKey(w.Holder); err == nil && k.NodeID != "" {
		out = append(out, domain.HolderKey{Namespace: k.Namespace, Workflow: k.Workflow}.String())
	}
	add := func(hs []string) {
		for _, h := range hs {
			if h != w.Holder && !slices.Contains(out, h) {
				out = append(out, h)
			}
		}
	}
	add(w.Under)
	if under != nil {
		add(under(w.Holder))
	}
	return out
}

// stuckNext is a stuck successor of stuck vertex v: for a waiter, the
// first holder of its first lock that nobody releases; for a holder, the
// first stuck waiter under it.
func stuckNext(v string, waiters map[string]*domain.QueuedWaiter, need, holdersOf, below map[string][]string, progress map[string]bool) string {
	if _, ok := waiters[v]; ok {
		for _, l := range need[v] {
			if h := firstStuck(holdersOf[l], progress); h != "" {
				return h
			}
		}
		return ""
	}
	return firstStuck(below[v], progress)
}

func firstStuck(vs []string, progress map[string]bool) string {
	sorted := append([]string(nil), vs...)
	sort.Strings(sorted)
	for _, v := range sorted {
		if !progress[v] {
			return v
		}
	}
	return ""
}

// cycleOf turns a cycle of vertices (starting at a waiter or a holder)
// into steps, starting at its oldest waiter, and picks the victim.
func cycleOf(vs []string, waiters map[string]*domain.QueuedWaiter, need, holdersOf, below map[string][]string, progress map[string]bool) Deadlock {
	if _, ok := waiters[vs[0]]; !ok {
		vs = append(vs[1:], vs[0])
	}
	var d Deadlock
	var victim *domain.QueuedWaiter
	for i := 0; i+1 < len(vs); i += 2 {
		w, h := vs[i], vs[i+1]
		lock := ""
		for _, l := range need[w] {
			for _, x := range holdersOf[l] {
				if x == h && lock == "" {
					lock = l
				}
			}
		}
		step := DeadlockStep{Waiter: w, Lock: lock, Holder: h}
		for _, x := range holdersOf[lock] {
			if x != h && !slices.Contains(step.Also, x) {
				step.Also = append(step.Also, x)
			}
		}
		sort.Strings(step.Also)
		d.Cycle = append(d.Cycle, step)
		if q := waiters[w]; victim == nil || younger(q, victim) {
			victim = q
		}
		for _, x := range holdersOf[lock] {
			for _, u := range below[x] {
				if q := waiters[u]; q != nil && !progress[u] && younger(q, victim) {
					victim = q
				}
			}
		}
	}
	// Start at the victim's step, so the message reads from it.
	for i, s := range d.Cycle {
		if s.Waiter == victim.Holder {
			d.Cycle = append(d.Cycle[i:], d.Cycle[:i]...)
			break
		}
	}
	// A victim beyond the cycle (under a semaphore's other holder) waits
	// for a lock of it: its own step opens the message.
	if !slices.ContainsFunc(d.Cycle, func(s DeadlockStep) bool { return s.Waiter == victim.Holder }) {
		vs := victimStep(victim, need, holdersOf, progress)
		// The cycle goes on from a step whose waiter runs under the
		// holder the victim's step names.
		for i := range d.Cycle {
			if d.Cycle[(i+len(d.Cycle)-1)%len(d.Cycle)].Holder == vs.Holder {
				d.Cycle = append(d.Cycle[i:], d.Cycle[:i]...)
				break
			}
		}
		d.Cycle = append([]DeadlockStep{vs}, d.Cycle...)
	}
	d.Victim = victim.Holder
	return d
}

// victimStep is the step of a stuck waiter outside the cycle: the first
// lock it waits for and that lock's holders.
func victimStep(v *domain.QueuedWaiter, need, holdersOf map[string][]string, progress map[string]bool) DeadlockStep {
	step := DeadlockStep{Waiter: v.Holder}
	for _, l := range need[v.Holder] {
		if h := firstStuck(holdersOf[l], progress); h != "" {
			step.Lock, step.Holder = l, h
			break
		}
	}
	for _, x := range holdersOf[step.Lock] {
		if x != step.Holder && !slices.Contains(step.Also, x) {
			step.Also = append(step.Also, x)
		}
	}
	sort.Strings(step.Also)
	return step
}

func younger(a, b *domain.QueuedWaiter) bool {
	if !a.Created.Equal(b.Created) {
		return a.Created.After(b.Created)
	}
	return a.Seq > b.Seq
}

// Describe renders a cycle as a database's detector does, naming each
// holder with name (e.g. "ns/wf (node x)").
func (d Deadlock) Describe(name func(holder string) string) string {
	var b strings.Builder
	b.WriteString("deadlock: ")
	for i, s := range d.Cycle {
		if i == 0 {
			fmt.Fprintf(&b, "%s waits for %s held by %s", name(s.Waiter), lockWord(s.Lock), holdersText(s, name))
			continue
		}
		if prev := d.Cycle[i-1].Holder; prev == s.Waiter {
			fmt.Fprintf(&b, ", which waits for %s held by %s", lockWord(s.Lock), holdersText(s, name))
		} else {
			fmt.Fprintf(&b, ", which waits, through %s, for %s held by %s", name(s.Waiter), lockWord(s.Lock), holdersText(s, name))
		}
	}
	fmt.Fprintf(&b, "; failed the youngest waiter, %s", name(d.Victim))
	return b.String()
}

// maxAlsoNamed caps the other holders of one lock a message names.
const maxAlsoNamed = 5

// holdersText names a step's holder, then the lock's other holders
// (none of which releases): "A" or "A (and also B, C)"; the cycle goes
// on through A.
func holdersText(s DeadlockStep, name func(string) string) string {
	if len(s.Also) == 0 {
		return name(s.Holder)
	}
	var others []string
	for i, x := range s.Also {
		if i == maxAlsoNamed {
			others = append(others, fmt.Sprintf("%d more", len(s.Also)-maxAlsoNamed))
			break
		}
		others = append(others, name(x))
	}
	return name(s.Holder) + " (and also " + strings.Join(others, ", ") + ")"
}

func lockWord(key string) string {
	k, err := domain.ParseLockKey(key)
	if err != nil {
		return "lock " + key
	}
	switch k.Kind {
	case domain.LockMutex, domain.LockDatabaseMutex:
		return "mutex " + key
	case domain.LockConfigMap:
		return "semaphore " + key
	}
	return "lock " + key
}
