package locks

import (
	"time"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/store"
)

// View is one lock as `sync list` and the sync API show it: its limit,
// last fencing token, holders with their tokens, and waiters in grant
// order. Holding and Queue say the same with more detail for the Locks
// page; Holders and Waiters keep their old shape, which the argo CLI and
// scripts read.
type View struct {
	Lock    string            `json:"lock"`
	Limit   int               `json:"limit"`
	Fence   uint64            `json:"fence"`
	Holders map[string]uint64 `json:"holders"`
	Waiters []string          `json:"waiters"`
	ViewDetail
}

// Views arranges stored lock state by lock (the store lists waiters in
// grant order); only, when set, keeps one. Waiting times count to now.
func Views(st *store.LockState, only string) []View {
	return ViewsAt(st, only, time.Now())
}

// ViewsAt is Views with waiting times counted to now.
func ViewsAt(st *store.LockState, only string, now time.Time) []View {
	var views []View
	held := heldBackOf(st, now)
	for _, l := range st.Locks {
		if only != "" && l.Key != only {
			continue
		}
		v := View{Lock: l.Key, Limit: l.Limit, Fence: l.Fence, Holders: map[string]uint64{}, Waiters: []string{}}
		for holder, toks := range st.Holds {
			for _, t := range toks {
				if t.Lock == l.Key {
					v.Holders[holder] = t.Value
				}
			}
		}
		var queue []domain.QueuedWaiter
		for _, wt := range st.Waiters {
			for _, k := range wt.Locks {
				if k == l.Key {
					v.Waiters = append(v.Waiters, wt.Holder)
					queue = append(queue, wt)
				}
			}
		}
		v.ViewDetail = detail(l.Key, v.Holders, st.HoldSince, queue, held, now)
		views = append(views, v)
	}
	return views
}

// QueueState is the queues as this manager holds them, for the deadlock
// detector; ok is false while they may not match the store (an operation
// failed half-way and the next claim rebuilds).
func (m *Manager) QueueState() (st lockq.State, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.q.State(), m.synced
}
