package engine

import (
	"time"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/reconcile"
	"github.com/semaflow/semaflow/internal/store"
)

// lockHistory is the lock part of a step's history: the requests and
// releases plan makes at now, and the grants among events, at the time
// they were delivered (right after the transaction that made them
// committed). simulate replays a run from these.
func lockHistory(uid string, plan *reconcile.Plan, events []reconcile.Event, now time.Time) []store.Event {
	var evs []store.Event
	for _, ev := range events {
		if ev.Kind == reconcile.LockGranted {
			evs = append(evs, store.Event{WorkflowUID: uid, NodeID: holderNode(ev.Holder), At: ev.At, Type: domain.EventLockGranted, Message: ev.Holder})
		}
	}
	for _, h := range plan.Release {
		evs = append(evs, store.Event{WorkflowUID: uid, NodeID: holderNode(h), At: now, Type: domain.EventLockReleased, Message: h})
	}
	for _, a := range plan.Acquire {
		keys := make([]string, len(a.Locks))
		for i, l := range a.Locks {
			keys[i] = l.Key
		}
		evs = append(evs, store.Event{WorkflowUID: uid, NodeID: a.NodeID, At: now, Type: domain.EventLockRequested,
			Message: domain.FormatLockRequest(domain.LockRequest{Holder: a.Holder, Priority: a.Priority, Locks: keys})})
	}
	return evs
}

func holderNode(holder string) string {
	k, err := domain.ParseHolderKey(holder)
	if err != nil {
		return ""
	}
	return k.NodeID
}
