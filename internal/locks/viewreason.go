package locks

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/store"
)

// maxExplained bounds how many waiters, in grant order, a view explains:
// each explanation walks the waiters ahead, so all of a long queue would
// cost its square. Reservations come from the oldest waiters, at the
// front, so the front is where they show.
const maxExplained = 100

// heldBack maps a waiter to the locks on which an earlier waiter's
// reservation or strict order holds it back, with that reason.
type heldBack map[string]map[string]lockq.Reason

// heldBackOf asks lockq.Explain, under the engine's policy (backfill,
// the default reservation delay), why each of the first waiters waits,
// and keeps the reasons that are another waiter's doing.
func heldBackOf(st *store.LockState, now time.Time) heldBack {
	if len(st.Waiters) == 0 {
		return nil
	}
	qs := lockq.State{NextSeq: st.NextSeq, Waiters: st.Waiters}
	for _, l := range st.Locks {
		qs.Locks = append(qs.Locks, lockq.LockState{Key: l.Key, Limit: l.Limit, Fence: l.Fence})
	}
	for holder, toks := range st.Holds {
		qs.Holders = append(qs.Holders, domain.Grant{Holder: holder, Tokens: toks})
	}
	slices.SortFunc(qs.Holders, func(a, b domain.Grant) int { return strings.Compare(a.Holder, b.Holder) })
	out := heldBack{}
	since := st.HoldStarts()
	for _, w := range st.Waiters[:min(len(st.Waiters), maxExplained)] {
		why, err := lockq.Explain(lockq.Config{Policy: lockq.Backfill}, qs, w.Holder, now, since)
		if err != nil {
			continue // a waiter on a lock the store lost: no reason to give
		}
		for _, lw := range why.Locks {
			for _, r := range lw.Reasons {
				if r.By == "" {
					continue
				}
				if out[w.Holder] == nil {
					out[w.Holder] = map[string]lockq.Reason{}
				}
				out[w.Holder][lw.Lock] = r
			}
		}
	}
	return out
}

// reasonText says in plain words what holds a waiter back.
func reasonText(r lockq.Reason, now time.Time) string {
	needs := strings.Join(r.ByLocks, " and ")
	if r.Kind == lockq.ReasonStrictOrder {
		return fmt.Sprintf("Waits behind %s, which needs %s and cannot start yet; the strict policy lets nobody pass it.", r.By, needs)
	}
	s := fmt.Sprintf("A permit is reserved for %s, which needs %s", r.By, needs)
	if !r.Since.IsZero() {
		s += fmt.Sprintf(" and has kept it for %s", max(0, now.Sub(r.Since)).Round(time.Second))
	}
	return s + ", so it cannot be passed."
}
