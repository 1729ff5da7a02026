package eta

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// MinSamples is how many recorded holds a lock needs before its waiters
// get a number: with fewer, every estimate is unknown. A template's own
// digest replaces the lock's for its holds once it has as many.
const MinSamples = 10

// MaxQueue bounds the waiters estimated per lock, so one call's work is
// bounded; those further back are unknown.
const MaxQueue = 1000

// samples is how many futures Estimate draws: the spread of a 90th
// percentile read from 256 draws is a few percent.
const samples = 256

// Why a start time is unknown.
const (
	NoHistory = "no history yet"
	Paused    = "the limit is 0"
	TooFar    = "too far back in the queue"
)

// Holder is a hold in progress: who holds (named when it is overdue),
// when it began, and the hold times of its template (nil or short: the
// lock's are used).
type Holder struct {
	ID    string
	Since time.Time
	Hist  *Digest
}

// Waiter is a waiter in the lock's queue, with the hold times of its
// template as for Holder.
type Waiter struct {
	Hist *Digest
}

// Lock is one lock as Estimate sees it.
type Lock struct {
	Limit   int
	History *Digest // every recorded hold of the lock
	Holders []Holder
	Waiters []Waiter // in grant order
}

// Start is a waiter's estimated start: a median and a 90th percentile,
// or, when Known is false, why there is no number; Overdue, with Why
// WaitsOverdue or HeldOverdue, describes the overdue hold it waits for.
type Start struct {
	Known    bool
	Why      string
	P50, P90 time.Time
	Overdue  *Overdue
}

// Estimate returns, for each of l's waiters in order, when it is expected
// to start: each waiter needs one permit, granted in queue order as soon as
// one frees, and each hold lasts as its template's (or else the lock's)
// history says; a hold in progress lasts as long as holds that have lasted
// that long did (Digest.Remaining). The draws are seeded, so the same input gives the same
// answer. Histories are read without their rare far outliers (typical).
//
// A holder that has held longer than all of its history is overdue: when
// it ends is unknown, so a waiter that needs its permit gets no number but
// the overdue hold it waits for (WaitsOverdue); so does everyone behind.
//
// What it does not see: a waiter ahead that also waits for another lock
// may start later than this lock allows, and under backfill one behind may
// pass it. Callers combine a waiter's locks with Latest.
func Estimate(l Lock, now time.Time) []Start {
	out := make([]Start, len(l.Waiters))
	why := ""
	switch {
	case l.History.Count() < MinSamples:
		why = NoHistory
	case l.Limit <= 0:
		why = Paused
	}
	n := min(len(l.Waiters), MaxQueue)
	for i := range out {
		if why != "" {
			out[i] = Start{Why: why}
		} else if i >= n {
			out[i] = Start{Why: TooFar}
		}
	}
	if why != "" || n == 0 {
		return out
	}
	typ := map[*Digest]*Digest{}
	pick := func(h *Digest) *Digest {
		if h.Count() < MinSamples {
			h = l.History
		}
		t, ok := typ[h]
		if !ok {
			t = h.typical()
			typ[h] = t
		}
		return t
	}
	holders := make([]*Digest, len(l.Holders))
	elapsed := make([]time.Duration, len(l.Holders))
	var late []Overdue
	for i, h := range l.Holders {
		holders[i], elapsed[i] = pick(h.Hist), max(0, now.Sub(h.Since))
		if isOverdue(holders[i], elapsed[i]) {
			late = append(late, Overdue{Holder: h.ID, Held: elapsed[i], P90: holders[i].Quantile(0.9)})
		}
	}
	waiters := make([]*Digest, n)
	for i := range waiters {
		waiters[i] = pick(l.Waiters[i].Hist)
	}
	waitsFor := blocked(l.Limit, len(holders)-len(late), late, n)
	// starts[i*samples+s]: waiter i's start in draw s, in ns from now.
	starts := make([]float64, n*samples)
	rng := rand.New(rand.NewPCG(0x5eed, 0xe7a))
	ends := make(endTimes, 0, len(holders)+n)
	for s := range samples {
		ends = ends[:0]
		for i, h := range holders {
			if isOverdue(h, elapsed[i]) {
				heap.Push(&ends, never)
				continue
			}
			heap.Push(&ends, float64(h.Remaining(elapsed[i], rng.Float64())))
		}
		clock := 0.0
		for i, w := range waiters {
			// Permits go in queue order: a waiter starts no earlier than
			// the one before it, once fewer than Limit hold.
			for len(ends) >= l.Limit {
				clock = max(clock, heap.Pop(&ends).(float64))
			}
			starts[i*samples+s] = clock
			heap.Push(&ends, clock+float64(w.Quantile(rng.Float64())))
		}
	}
	for i := range n {
		if o := waitsFor[i]; o != nil {
			out[i] = Start{Why: WaitsOverdue, Overdue: o}
			continue
		}
		row := starts[i*samples : (i+1)*samples]
		slices.Sort(row)
		out[i] = Start{Known: true, P50: now.Add(at(row, 0.5)), P90: now.Add(at(row, 0.9))}
	}
	return out
}

// at is the nearest-rank q-quantile of sorted draws.
func at(sorted []float64, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return time.Duration(sorted[max(0, i)])
}

// Latest combines a waiter's estimates for the locks it needs: it starts
// when it has all of them, so at the latest of their estimates; unknown
// if any is.
func Latest(starts ...Start) Start {
	if len(starts) == 0 {
		return Start{Why: NoHistory}
	}
	out := Start{Known: true}
	for _, s := range starts {
		if !s.Known {
			return s
		}
		if s.P50.After(out.P50) {
			out.P50 = s.P50
		}
		if s.P90.After(out.P90) {
			out.P90 = s.P90
		}
	}
	return out
}

// endTimes is a min-heap of end times (container/heap).
type endTimes []float64

func (h endTimes) Len() int           { return len(h) }
func (h endTimes) Less(i, j int) bool { return h[i] < h[j] }
func (h endTimes) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *endTimes) Push(v any)        { *h = append(*h, v.(float64)) }
func (h *endTimes) Pop() any {
	a := *h
	v := a[len(a)-1]
	*h = a[:len(a)-1]
	return v
}
