package sim

import (
	"math"
	"slices"
	"sort"
	"time"
)

// Result is what a simulation found. Times are offsets from the
// scenario's zero.
type Result struct {
	// Start is the first arrival; Done is when every workflow had ended
	// (the last end among those that did).
	Start, Done time.Duration
	Locks       []LockResult     // by key
	Workflows   []WorkflowResult // in start order
	// Holds are every request in the order asked: who held what when.
	Holds []HoldResult
	// Unfinished names the workflows that never ended: a request that
	// could never be granted (a limit 0, more than the limit).
	Unfinished []string
	// Blocked says, per lock (by key), what holds the unfinished back.
	Blocked []BlockedLock
}

// BlockedLock is a lock that workflows wait for for ever: its limit is
// 0, or it is held by workflows that never end.
type BlockedLock struct {
	Key     string
	Limit   int
	Waiting []string // the workflows waiting for it, in the order they asked
	Holders []string // the workflows holding it at the end, which never end
}

// Span is the time from the first arrival until everything was done.
func (r *Result) Span() time.Duration { return r.Done - r.Start }

// LockResult is one lock's figures.
type LockResult struct {
	Key      string
	Limit    int
	Requests int // grants counted in the waits
	// WaitP50, WaitP95 and WaitMax are over the waits of granted requests
	// (nearest rank).
	WaitP50, WaitP95, WaitMax time.Duration
	// Utilisation is permit time held ÷ (limit × span); 0 when the limit
	// or the span is 0.
	Utilisation float64
	MaxQueue    int // most waiters at once
	MaxHeld     int // most holders at once
}

// HoldResult is one request: asked at Asked, granted at Granted and let
// go at Released when Granted and Released say so.
type HoldResult struct {
	Holder, Workflow         string
	Locks                    []string
	Asked, Granted, Released time.Duration
	WasGranted, WasReleased  bool
}

// WorkflowResult is one workflow's run. Started is its first grant (its
// arrival when it asks for no lock).
type WorkflowResult struct {
	Name, Kind                 string
	Priority                   int32
	Arrived, Started, Finished time.Duration
	Unfinished                 bool
	// NeverStarted: it asked for locks and was never granted any (it
	// comes after those that started).
	NeverStarted bool
}

func (r *runner) result() *Result {
	res := &Result{}
	first := true
	for wi, w := range r.sc.Workflows {
		st := &r.wfs[wi]
		if first || w.Created < res.Start {
			res.Start, first = w.Created, false
		}
		wr := WorkflowResult{Name: w.Name, Kind: w.Kind, Priority: w.Priority, Arrived: w.Created, Started: w.Created,
			Finished: st.finished, Unfinished: st.done < len(w.Actions)}
		if st.hasStart {
			wr.Started = st.started
		} else {
			wr.NeverStarted = wr.Unfinished
		}
		if wr.Unfinished {
			res.Unfinished = append(res.Unfinished, w.Name)
		} else {
			res.Done = max(res.Done, st.finished)
		}
		res.Workflows = append(res.Workflows, wr)
	}
	res.Done = max(res.Done, res.Start)
	// Start order: by first grant; two grants at one time in the order
	// lockq made them; workflows that ask for no lock by arrival.
	order := make([]int, len(res.Workflows))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		x, y := res.Workflows[order[a]], res.Workflows[order[b]]
		if x.NeverStarted != y.NeverStarted {
			return y.NeverStarted
		}
		if x.Started != y.Started {
			return x.Started < y.Started
		}
		return r.wfs[order[a]].grantSeq < r.wfs[order[b]].grantSeq
	})
	sorted := make([]WorkflowResult, len(order))
	for i, j := range order {
		sorted[i] = res.Workflows[j]
	}
	res.Workflows = sorted
	span := res.Span()
	for _, l := range r.sc.Locks {
		acc := r.locks[l.Key]
		held := acc.held
		for _, since := range acc.holding {
			held += max(0, res.Done-since).Seconds() // held to the end
		}
		lr := LockResult{Key: l.Key, Limit: l.Limit, Requests: len(acc.waits), MaxQueue: acc.maxQueue, MaxHeld: acc.maxHeld}
		if l.Limit > 0 && span > 0 {
			lr.Utilisation = held / (float64(l.Limit) * span.Seconds())
		}
		waits := slices.Clone(acc.waits)
		slices.Sort(waits)
		lr.WaitP50, lr.WaitP95 = rank(waits, 0.50), rank(waits, 0.95)
		if len(waits) > 0 {
			lr.WaitMax = waits[len(waits)-1]
		}
		res.Locks = append(res.Locks, lr)
	}
	sort.Slice(res.Locks, func(i, j int) bool { return res.Locks[i].Key < res.Locks[j].Key })
	res.Blocked = r.blocked()
	for _, id := range r.asked {
		h := r.holders[id]
		a := r.sc.Workflows[h.wf].Actions[h.act]
		res.Holds = append(res.Holds, HoldResult{Holder: id, Workflow: r.sc.Workflows[h.wf].Name, Locks: a.Locks,
			Asked: h.asked, Granted: h.grantedAt, Released: h.releasedAt, WasGranted: h.granted, WasReleased: h.released})
	}
	return res
}

// blocked lists the locks that requests still wait for at the end, each
// with who waits and who holds it.
func (r *runner) blocked() []BlockedLock {
	by := map[string]*BlockedLock{}
	seen := map[[2]string]bool{} // lock, workflow
	for _, id := range r.asked {
		h := r.holders[id]
		if h.granted || h.released {
			continue
		}
		w := &r.sc.Workflows[h.wf]
		ks := w.Actions[h.act].Locks
		// What holds it back: a lock with no permit to give, or none free;
		// else (a permit reserved for another) all it asks for.
		var why []string
		for _, k := range ks {
			if acc := r.locks[k]; acc.limit == 0 || len(acc.holding) >= acc.limit {
				why = append(why, k)
			}
		}
		if len(why) == 0 {
			why = ks
		}
		for _, k := range why {
			b := by[k]
			if b == nil {
				b = &BlockedLock{Key: k, Limit: r.locks[k].limit}
				by[k] = b
			}
			if !seen[[2]string{k, w.Name}] {
				seen[[2]string{k, w.Name}] = true
				b.Waiting = append(b.Waiting, w.Name)
			}
		}
	}
	held := map[[2]string]bool{}
	for _, id := range r.asked {
		h := r.holders[id]
		if !h.granted || h.released {
			continue
		}
		w := &r.sc.Workflows[h.wf]
		for _, k := range w.Actions[h.act].Locks {
			if b := by[k]; b != nil && !held[[2]string{k, w.Name}] {
				held[[2]string{k, w.Name}] = true
				b.Holders = append(b.Holders, w.Name)
			}
		}
	}
	out := make([]BlockedLock, 0, len(by))
	for _, b := range by {
		out = append(out, *b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// rank is the nearest-rank p-quantile of sorted values; 0 for none.
func rank(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
