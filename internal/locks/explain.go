package locks

import (
	"slices"
	"strings"
	"time"

	"github.com/semaflow/semaflow/internal/domain"

	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/store"
)

// Policy returns the queues' configuration, for explaining their order.
func (m *Manager) Policy() lockq.Config { return m.cfg }

// HeldSince returns when each holder this engine granted was granted (a
// copy). Holders granted by another engine, or before a restart, are
// absent: their start is not stored.
func (m *Manager) HeldSince() map[string]time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]time.Time, len(m.holdSince))
	for h, t := range m.holdSince {
		out[h] = t
	}
	return out
}

// QueueState turns stored lock state into lockq's, for lockq.Explain: the
// store, not this engine's queues, is the authority when several engines
// share it or none runs.
func QueueState(st *store.LockState) lockq.State {
	out := lockq.State{NextSeq: st.NextSeq, Waiters: st.Waiters}
	for _, l := range st.Locks {
		out.Locks = append(out.Locks, lockq.LockState{Key: l.Key, Limit: l.Limit, Fence: l.Fence})
	}
	for h, toks := range st.Holds {
		out.Holders = append(out.Holders, domain.Grant{Holder: h, Tokens: toks})
	}
	slices.SortFunc(out.Holders, func(a, b domain.Grant) int { return strings.Compare(a.Holder, b.Holder) })
	return out
}
