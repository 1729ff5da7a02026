package locks

import (
	"slices"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/eta"
	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/store"
)

// View is one lock as `sync list` and the sync API show it: its limit,
// last fencing token, holders with their tokens, and waiters in grant
// order. Holding and Queue say the same with more detail for the Locks
// page; Holders and Waiters keep their old shape, which the argo CLI and
// scripts read. Starts and HoldTimes, added later and omitted when empty
// so older readers see the same JSON, give each waiter's estimated start
// (also in its Queue entry) and the lock's recorded hold times.
type View struct {
	Lock      string            `json:"lock"`
	Limit     int               `json:"limit"`
	Fence     uint64            `json:"fence"`
	Holders   map[string]uint64 `json:"holders"`
	Waiters   []string          `json:"waiters"`
	Starts    map[string]Start  `json:"starts,omitempty"`
	HoldTimes *HoldTimes        `json:"holdTimes,omitempty"`
	ViewDetail
}

// Start is a waiter's estimated start as far as this lock decides it (a
// waiter of several locks starts at the latest of them): a median and a
// 90th percentile, or why there is none; Text is how the CLI says it.
type Start struct {
	Known bool       `json:"known"`
	Why   string     `json:"why,omitempty"`
	P50   *time.Time `json:"p50,omitempty"`
	P90   *time.Time `json:"p90,omitempty"`
	// Overdue, with Known false, is the overdue hold it waits for (or,
	// for a hold's end, the hold itself): one that has lasted longer
	// than every recorded hold, so no time is given.
	Overdue *Overdue `json:"overdue,omitempty"`
	Text    string   `json:"text"`
}

// Overdue is eta.Overdue as a View shows it. Holder is "a workflow of
// another namespace" for a holder of another namespace than the waiter.
type Overdue struct {
	Holder      string  `json:"holder,omitempty"`
	Others      int     `json:"others,omitempty"`
	HeldSeconds float64 `json:"heldSeconds"`
	P90Seconds  float64 `json:"p90Seconds"`
	After       bool    `json:"after,omitempty"`
}

// Eta is the estimate a view's Start was made from, to say it in other
// words (explain's).
func (s Start) Eta() eta.Start {
	e := eta.Start{Known: s.Known, Why: s.Why}
	if s.P50 != nil && s.P90 != nil {
		e.P50, e.P90 = *s.P50, *s.P90
	}
	if o := s.Overdue; o != nil {
		e.Overdue = &eta.Overdue{Holder: o.Holder, Others: o.Others, After: o.After,
			Held: time.Duration(o.HeldSeconds * float64(time.Second)), P90: time.Duration(o.P90Seconds * float64(time.Second))}
	}
	return e
}

// HoldTimes summarises a lock's recorded holds.
type HoldTimes struct {
	Samples    uint64  `json:"samples"`
	P50Seconds float64 `json:"p50Seconds"`
	P90Seconds float64 `json:"p90Seconds"`
}

// StartOf is a start estimate as a View shows it.
func StartOf(s eta.Start, now time.Time) Start {
	return startOf(s, eta.Text(s, now))
}

// ReleaseOf is a hold's expected end (eta.Release) as a View shows it.
func ReleaseOf(s eta.Start, now time.Time) Start {
	return startOf(s, eta.EndText(s, now))
}

func startOf(s eta.Start, text string) Start {
	out := Start{Known: s.Known, Why: s.Why, Text: text}
	if s.Known {
		p50, p90 := s.P50.UTC(), s.P90.UTC()
		out.P50, out.P90 = &p50, &p90
	}
	if o := s.Overdue; o != nil {
		out.Overdue = &Overdue{Holder: o.Holder, Others: o.Others, HeldSeconds: o.Held.Seconds(), P90Seconds: o.P90.Seconds(), After: o.After}
	}
	return out
}

// Views arranges stored lock state by lock (the store lists waiters in
// grant order), with waiting times and start estimates as of now; only,
// when set, keeps one.
func Views(st *store.LockState, only string, now time.Time) []View {
	digests := map[string]map[string]*eta.Digest{}
	for _, s := range st.Stats {
		d := &eta.Digest{}
		if !currentKey(s.Template) || d.UnmarshalText([]byte(s.Digest)) != nil {
			continue
		}
		if digests[s.Lock] == nil {
			digests[s.Lock] = map[string]*eta.Digest{}
		}
		digests[s.Lock][s.Template] = d
	}
	template := map[string]string{}
	for _, w := range st.Waiters {
		template[w.Holder] = w.Template
	}
	for h, info := range st.HoldInfo {
		template[h] = info.Template
	}
	var views []View
	held := heldBackOf(st, now)
	for _, l := range st.Locks {
		if only != "" && l.Key != only {
			continue
		}
		v := View{Lock: l.Key, Limit: l.Limit, Fence: l.Fence, Holders: map[string]uint64{}, Waiters: []string{}}
		var holders []string
		for holder, toks := range st.Holds {
			for _, t := range toks {
				if t.Lock == l.Key {
					v.Holders[holder] = t.Value
					holders = append(holders, holder)
				}
			}
		}
		slices.Sort(holders) // the estimate's draws follow this order
		var queue []domain.QueuedWaiter
		for _, wt := range st.Waiters {
			for _, k := range wt.Locks {
				if k == l.Key {
					v.Waiters = append(v.Waiters, wt.Holder)
					queue = append(queue, wt)
				}
			}
		}
		if d := digests[l.Key][""]; d.Count() > 0 {
			v.HoldTimes = &HoldTimes{Samples: d.Count(), P50Seconds: d.Quantile(0.5).Seconds(), P90Seconds: d.Quantile(0.9).Seconds()}
		}
		if len(v.Waiters) > 0 {
			per := estimateLock(lockInput{limit: l.Limit, holders: holders, waiters: v.Waiters,
				since: func(h string) time.Time {
					if s := st.HoldInfo[h].Since; !s.IsZero() {
						return s
					}
					return now
				},
				template: func(h string) string { return template[h] },
				digests:  digests[l.Key],
			}, now)
			v.Starts = make(map[string]Start, len(v.Waiters))
			for _, w := range v.Waiters {
				v.Starts[w] = StartOf(per[w], now)
			}
		}
		releases := make(map[string]Start, len(holders))
		for _, h := range holders {
			info := st.HoldInfo[h]
			releases[h] = ReleaseOf(eta.Release(digests[l.Key][""], eta.Holder{Since: info.Since, Hist: digests[l.Key][info.Template]}, now), now)
		}
		v.ViewDetail = detail(l.Key, v.Holders, st.HoldInfo, releases, queue, held, v.Starts, now)
		views = append(views, v)
	}
	return views
}

// MayDeadlock says whether the queues may hold a cycle of waits: false
// when no waiter runs under a holder (lockq's MayDeadlock), which the
// deadlock detector asks before it copies the queues. Queues that may not
// match the store say true: the detector's QueueState then says so.
func (m *Manager) MayDeadlock() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.synced || m.q.MayDeadlock()
}

// QueueState is the queues as this manager holds them, for the deadlock
// detector; ok is false while they may not match the store (an operation
// failed half-way and the next claim rebuilds).
func (m *Manager) QueueState() (st lockq.State, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.q.State(), m.synced
}
