package locks

import (
	"slices"
	"time"

	"github.com/semaflow/semaflow/internal/eta"
	"github.com/semaflow/semaflow/internal/store"
)

// View is one lock as `sync list` and the sync API show it: its limit,
// last fencing token, holders with their tokens, waiters in grant order,
// and, added later and omitted when empty so older readers see the same
// JSON, each waiter's estimated start and the lock's recorded hold times.
type View struct {
	Lock      string            `json:"lock"`
	Limit     int               `json:"limit"`
	Fence     uint64            `json:"fence"`
	Holders   map[string]uint64 `json:"holders"`
	Waiters   []string          `json:"waiters"`
	Starts    map[string]Start  `json:"starts,omitempty"`
	HoldTimes *HoldTimes        `json:"holdTimes,omitempty"`
}

// Start is a waiter's estimated start as far as this lock decides it (a
// waiter of several locks starts at the latest of them): a median and a
// 90th percentile, or why there is none; Text is how the CLI says it.
type Start struct {
	Known bool       `json:"known"`
	Why   string     `json:"why,omitempty"`
	P50   *time.Time `json:"p50,omitempty"`
	P90   *time.Time `json:"p90,omitempty"`
	Text  string     `json:"text"`
}

// HoldTimes summarises a lock's recorded holds.
type HoldTimes struct {
	Samples    uint64  `json:"samples"`
	P50Seconds float64 `json:"p50Seconds"`
	P90Seconds float64 `json:"p90Seconds"`
}

// StartOf is a start estimate as a View shows it.
func StartOf(s eta.Start, now time.Time) Start {
	out := Start{Known: s.Known, Why: s.Why, Text: eta.Text(s, now)}
	if s.Known {
		p50, p90 := s.P50.UTC(), s.P90.UTC()
		out.P50, out.P90 = &p50, &p90
	}
	return out
}

// Views arranges stored lock state by lock (the store lists waiters in
// grant order), with start estimates as of now; only, when set, keeps one.
func Views(st *store.LockState, only string, now time.Time) []View {
	digests := map[string]map[string]*eta.Digest{}
	for _, s := range st.Stats {
		d := &eta.Digest{}
		if d.UnmarshalText([]byte(s.Digest)) != nil {
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
		for _, wt := range st.Waiters {
			for _, k := range wt.Locks {
				if k == l.Key {
					v.Waiters = append(v.Waiters, wt.Holder)
				}
			}
		}
		if d := digests[l.Key][""]; d.Count() > 0 {
			v.HoldTimes = &HoldTimes{Samples: d.Count(), P50Seconds: d.Quantile(0.5).Seconds(), P90Seconds: d.Quantile(0.9).Seconds()}
		}
		views = append(views, v)
		if len(v.Waiters) == 0 {
			continue
		}
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
		views[len(views)-1].Starts = map[string]Start{}
		for _, w := range v.Waiters {
			views[len(views)-1].Starts[w] = StartOf(per[w], now)
		}
	}
	return views
}
