package locks

import (
	"strings"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/lockq"
)

// otherNamespace stands, in a waiting message, for a waiter of another
// namespace than the message's reader's: a token scoped to its namespace
// may read the message but not learn other namespaces' workflows.
const otherNamespace = "a workflow of another namespace"

// worthSaying keeps the reasons worth a waiting message: an earlier waiter
// that needs more than the lock in question. One that needs only it, under
// the strict policy, is the queue's order, which the position already says.
func worthSaying(rs []lockq.Reason) []lockq.Reason {
	out := rs[:0]
	for _, r := range rs {
		if len(r.ByLocks) > 1 {
			out = append(out, r)
		}
	}
	return out
}

// heldBackText says, in a few words after the waiting message's position,
// which earlier waiter holds holder back: "held back: a permit of A is
// reserved for ns/wf, which needs A+B, since 12:03:00". The waiter and its
// locks are named only when it is of holder's own namespace.
func heldBackText(holder string, r lockq.Reason, now time.Time) string {
	by, needs := otherNamespace, ""
	if sameNamespace(holder, r.By) {
		by, needs = r.By, ", which needs "+strings.Join(r.ByLocks, "+")
	}
	if r.Kind == lockq.ReasonStrictOrder {
		return "held back: under the strict policy nobody passes " + by + needs
	}
	s := "held back: a permit of " + r.Lock + " is reserved for " + by + needs
	if !r.Since.IsZero() {
		s += ", since " + clock(now, r.Since)
	}
	return s
}

func sameNamespace(a, b string) bool {
	ka, err1 := domain.ParseHolderKey(a)
	kb, err2 := domain.ParseHolderKey(b)
	return err1 == nil && err2 == nil && ka.Namespace == kb.Namespace
}

// clock is a time of day, with the date when it is not now's day.
func clock(now, t time.Time) string {
	if t.Format(time.DateOnly) == now.In(t.Location()).Format(time.DateOnly) {
		return t.Format(time.TimeOnly)
	}
	return t.Format(time.DateTime)
}
