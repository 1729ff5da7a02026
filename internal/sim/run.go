package sim

import (
	"container/heap"
	"fmt"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/lockq"
)

// epoch is virtual time zero as lockq sees it.
var epoch = time.Unix(0, 0).UTC()

// fire is one action due at a virtual time; seq breaks ties in the order
// actions became due, so equal times replay the same way every run.
type fire struct {
	at  time.Duration
	seq uint64
	wf  int
	act int
}

type fireHeap []fire

func (h fireHeap) Len() int { return len(h) }
func (h fireHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h fireHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *fireHeap) Push(x any)   { *h = append(*h, x.(fire)) }
func (h *fireHeap) Pop() any {
	old := *h
	f := old[len(old)-1]
	*h = old[:len(old)-1]
	return f
}

// wfState is one workflow's progress through its actions.
type wfState struct {
	left     []int           // per action: how many of its After have not completed
	latest   []time.Duration // per action: the latest completion among its After
	next     [][]int         // per action: the actions waiting for it
	started  time.Duration
	grantSeq uint64 // the global grant number of its first grant, for the start order
	hasStart bool
	finished time.Duration // the latest completion; the end once done == len(actions)
	done     int           // actions completed
}

// holding is one request's progress.
type holding struct {
	wf, act    int
	asked      time.Duration
	grantedAt  time.Duration
	granted    bool
	released   bool
	releasedAt time.Duration
}

type runner struct {
	sc       *Scenario
	q        *lockq.Queue
	due      fireHeap
	seq      uint64
	grants   uint64
	wfs      []wfState
	holders  map[string]*holding
	asked    []string // holders in the order they asked
	locks    map[string]*lockAcc
	lastTime time.Duration
	// err stops the run: an action due past the end of the virtual clock.
	err error
}

// lockAcc accumulates one lock's figures.
type lockAcc struct {
	limit    int
	waits    []time.Duration
	held     float64 // permit seconds of finished holds: limit × span can pass a Duration
	holding  map[string]time.Duration
	maxQueue int
	maxHeld  int
}

// Run simulates s. The same Scenario always gives the same Result.
func Run(s Scenario) (*Result, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	r := &runner{sc: &s, q: lockq.New(s.Queue), holders: map[string]*holding{}, locks: map[string]*lockAcc{}}
	for _, l := range s.Locks {
		if _, err := r.q.SetLimit(l.Key, l.Limit, epoch); err != nil {
			return nil, fmt.Errorf("lock %s: %w", l.Key, err)
		}
		r.locks[l.Key] = &lockAcc{limit: l.Limit, holding: map[string]time.Duration{}}
	}
	r.wfs = make([]wfState, len(s.Workflows))
	for wi, w := range s.Workflows {
		st := &r.wfs[wi]
		st.left = make([]int, len(w.Actions))
		st.latest = make([]time.Duration, len(w.Actions))
		st.next = make([][]int, len(w.Actions))
		for ai, a := range w.Actions {
			st.left[ai] = len(a.After)
			st.latest[ai] = w.Created
			for _, j := range a.After {
				st.next[j] = append(st.next[j], ai)
			}
		}
		for ai, a := range w.Actions {
			if len(a.After) == 0 {
				r.push(w.Created+a.Delay, wi, ai)
			}
		}
		st.finished = w.Created
	}
	// Each action is pushed once, when its last dependency completes, so
	// the loop runs at most once per action.
	for r.due.Len() > 0 && r.err == nil {
		f := heap.Pop(&r.due).(fire)
		if err := r.do(f); err != nil {
			return nil, err
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return r.result(), nil
}

// push schedules an action at at. Validate keeps arrivals and delays
// within the clock, so at (a time within it plus a delay) cannot have
// wrapped; waiting can still carry it past the end, which stops the run.
func (r *runner) push(at time.Duration, wf, act int) {
	if at > MaxTime {
		if r.err == nil {
			w := r.sc.Workflows[wf]
			a := w.Actions[act]
			what := fmt.Sprintf("its action %d (%s)", act, a.Kind)
			if a.Source != "" {
				what = fmt.Sprintf("its %s after %s", a.Kind, a.Source)
			}
			r.err = fmt.Errorf("workflow %s: %s falls at %v, past the end of the virtual clock (%v, 100 years): the load runs longer than can be simulated; shorten the holds or raise the limits",
				w.Name, what, at, MaxTime)
		}
		return
	}
	r.seq++
	heap.Push(&r.due, fire{at: at, seq: r.seq, wf: wf, act: act})
}

func (r *runner) do(f fire) error {
	r.lastTime = f.at
	w := &r.sc.Workflows[f.wf]
	a := w.Actions[f.act]
	now := epoch.Add(f.at)
	switch a.Kind {
	case Request:
		r.holders[a.Holder] = &holding{wf: f.wf, act: f.act, asked: f.at}
		r.asked = append(r.asked, a.Holder)
		gs, err := r.q.Add(domain.Waiter{Holder: a.Holder, Locks: a.Locks, Priority: w.Priority, Created: epoch.Add(w.Created)}, now)
		if err != nil {
			return fmt.Errorf("workflow %s: %w", w.Name, err)
		}
		r.granted(gs, f.at)
		for _, k := range a.Locks {
			acc := r.locks[k]
			acc.maxQueue = max(acc.maxQueue, r.q.Pending(k))
		}
	case Release:
		h := r.holders[a.Holder]
		switch {
		case h == nil || h.released:
		case h.granted:
			h.released, h.releasedAt = true, f.at
			for _, k := range r.sc.Workflows[h.wf].Actions[h.act].Locks {
				acc := r.locks[k]
				acc.held += (f.at - acc.holding[a.Holder]).Seconds()
				delete(acc.holding, a.Holder)
			}
			gs, _ := r.q.Release(a.Holder, now)
			r.granted(gs, f.at)
		default:
			// Given up while waiting: the engine cancels the wait.
			h.released, h.releasedAt = true, f.at
			gs, _ := r.q.Cancel(a.Holder, now)
			r.granted(gs, f.at)
		}
		r.complete(f.wf, f.act, f.at)
	case Finish:
		r.complete(f.wf, f.act, f.at)
	}
	return nil
}

// granted accounts for grants made at t and completes their requests.
func (r *runner) granted(gs []domain.Grant, t time.Duration) {
	// Copy the holders first: completing a request can run nothing
	// re-entrantly, but lockq reuses gs on its next call.
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = g.Holder
	}
	for _, id := range ids {
		h := r.holders[id]
		if h == nil || h.granted {
			continue
		}
		h.granted, h.grantedAt = true, t
		r.grants++
		st := &r.wfs[h.wf]
		if !st.hasStart {
			st.hasStart, st.started, st.grantSeq = true, t, r.grants
		}
		for _, k := range r.sc.Workflows[h.wf].Actions[h.act].Locks {
			acc := r.locks[k]
			acc.waits = append(acc.waits, t-h.asked)
			acc.holding[id] = t
			acc.maxHeld = max(acc.maxHeld, len(acc.holding))
		}
		r.complete(h.wf, h.act, t)
	}
}

// complete marks an action done at t and schedules those waiting for it.
func (r *runner) complete(wi, ai int, t time.Duration) {
	st := &r.wfs[wi]
	st.done++
	w := &r.sc.Workflows[wi]
	st.finished = max(st.finished, t)
	for _, n := range st.next[ai] {
		st.left[n]--
		st.latest[n] = max(st.latest[n], t)
		if st.left[n] == 0 {
			r.push(st.latest[n]+w.Actions[n].Delay, wi, n)
		}
	}
}
