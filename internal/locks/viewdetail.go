package locks

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/store"
)

// ViewDetail is what the Locks page shows of a lock beyond the sync
// API's first fields: what kind of lock it is, and its holders and
// waiters with times, tokens and positions.
type ViewDetail struct {
	// Namespace, Type (mutex or semaphore), Storage (configmap, database
	// or engine) and Name as in Argo's lock metrics; ConfigMap and Key
	// name a ConfigMap semaphore's limit, Key a database semaphore's.
	Namespace string `json:"namespace,omitempty"`
	Type      string `json:"type,omitempty"`
	Storage   string `json:"storage,omitempty"`
	Name      string `json:"name,omitempty"`
	ConfigMap string `json:"configMap,omitempty"`
	Key       string `json:"key,omitempty"`
	// Holding lists the holders, oldest hold first.
	Holding []Holding `json:"holding"`
	// Queue lists the waiters in grant order.
	Queue []Waiting `json:"queue"`
	// OtherHolders and OtherWaiters count the holders and waiters of
	// other namespaces that a view of one namespace leaves out, so that a
	// lock one of them holds does not look free.
	OtherHolders int `json:"otherHolders,omitempty"`
	OtherWaiters int `json:"otherWaiters,omitempty"`
}

// Party is a holder or waiter: a workflow, or one of its nodes.
type Party struct {
	Holder    string `json:"holder"`
	Namespace string `json:"namespace"`
	Workflow  string `json:"workflow"`
	// NodeID is empty when the whole workflow holds or waits.
	NodeID string `json:"nodeId,omitempty"`
	// NodeName is the node's display name, when the engine filled it in.
	NodeName string `json:"nodeName,omitempty"`
}

// Holding is one holder of a lock.
type Holding struct {
	Party
	Token uint64 `json:"token"`
	// Since is when the hold began; nil for a hold stored before
	// semaflow recorded it.
	Since *time.Time `json:"since,omitempty"`
	// Release is when the hold is expected to end (eta.Release), or why
	// that is unknown.
	Release *Start `json:"release,omitempty"`
}

// Waiting is one waiter of a lock, in grant order.
type Waiting struct {
	Party
	Priority int32     `json:"priority"`
	Since    time.Time `json:"since"`
	// WaitedSeconds is how long it had waited when the view was made.
	WaitedSeconds float64 `json:"waitedSeconds"`
	// Position is its place in this lock's queue, 1 first.
	Position int `json:"position"`
	// Reason says, in a sentence, why a waiter is held back when a
	// reservation (or, under the strict policy, the order) of a waiter
	// ahead does, rather than the limit alone; ReservedBy names that
	// waiter. Both come from lockq.Explain.
	Reason     string `json:"reason,omitempty"`
	ReservedBy string `json:"reservedBy,omitempty"`
	// Start is its estimated start as far as this lock decides it (as
	// View.Starts).
	Start *Start `json:"start,omitempty"`
}

func partyOf(holder string) Party {
	p := Party{Holder: holder}
	if k, err := domain.ParseHolderKey(holder); err == nil {
		p.Namespace, p.Workflow, p.NodeID = k.Namespace, k.Workflow, k.NodeID
	}
	return p
}

// detail builds a lock's ViewDetail: holders with their tokens and hold
// times, queue in the store's grant order with the start estimates.
func detail(key string, holders map[string]uint64, info map[string]store.HoldInfo, releases map[string]Start,
	queue []domain.QueuedWaiter, held heldBack, starts map[string]Start, now time.Time) ViewDetail {
	l := LockOf(key, false)
	d := ViewDetail{Namespace: l.Namespace, Type: l.Type, Storage: l.Storage, Name: l.Name,
		Holding: []Holding{}, Queue: make([]Waiting, 0, len(queue))}
	if k, err := domain.ParseLockKey(key); err == nil {
		switch k.Kind {
		case domain.LockConfigMap:
			d.Name, d.ConfigMap, d.Key = k.Name, k.Name, k.Key
		case domain.LockDatabase:
			d.Key = k.Name
		}
	}
	for h, tok := range holders {
		hd := Holding{Party: partyOf(h), Token: tok}
		if t := info[h].Since; !t.IsZero() {
			hd.Since = &t
		}
		if r, ok := releases[h]; ok {
			hd.Release = &r
		}
		d.Holding = append(d.Holding, hd)
	}
	slices.SortFunc(d.Holding, func(a, b Holding) int {
		var ta, tb time.Time
		if a.Since != nil {
			ta = *a.Since
		}
		if b.Since != nil {
			tb = *b.Since
		}
		return cmp.Or(ta.Compare(tb), cmp.Compare(a.Token, b.Token))
	})
	for i, w := range queue {
		wt := Waiting{Party: partyOf(w.Holder), Priority: w.Priority, Since: w.Enqueued,
			WaitedSeconds: math.Round(max(0, now.Sub(w.Enqueued).Seconds())*10) / 10, Position: i + 1}
		if r, ok := held[w.Holder][key]; ok {
			wt.ReservedBy = r.By
			wt.Reason = reasonText(r, now)
		}
		if s, ok := starts[w.Holder]; ok {
			wt.Start = &s
		}
		d.Queue = append(d.Queue, wt)
	}
	return d
}
