package lockq

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
)

// This file answers "why is this waiter waiting?" from queue state alone.
// Explain walks the grant rule (walk.go) over a State as at `now`, exactly
// as Restore would, and stops at the waiter asked about, noting for each of
// its locks what the walk found there: permits used up, a reservation or a
// strict-order block. Because it is the same walk, a waiter it finds no
// reason for is one the grant rule would grant now.

// ErrNotWaiting is returned by Explain for a holder key that is not in the
// state's waiters.
var ErrNotWaiting = errors.New("lockq: not waiting")

// ReasonKind names what holds a waiter back on one lock.
type ReasonKind string

// Reason kinds. Full and Paused are the limit's doing; Reserved and
// StrictOrder are an earlier waiter's.
const (
	// ReasonFull: every permit is held, or goes to waiters ahead that the
	// grant rule serves first.
	ReasonFull ReasonKind = "full"
	// ReasonPaused: the lock's limit is 0.
	ReasonPaused ReasonKind = "paused"
	// ReasonReserved: under backfill, an earlier multi-lock waiter has
	// waited ReserveAfter and now reserves every lock it asks for.
	ReasonReserved ReasonKind = "reserved"
	// ReasonStrictOrder: under strict, an earlier waiter that cannot be
	// granted keeps everyone behind it off all its locks.
	ReasonStrictOrder ReasonKind = "strict-order"
)

// AheadKind says why a waiter stands ahead of another in the order
// (priority desc, creation asc, enqueue sequence asc).
type AheadKind string

// Ahead kinds.
const (
	AheadPriority AheadKind = "higher-priority"
	AheadCreated  AheadKind = "created-earlier" // same priority
	AheadQueued   AheadKind = "queued-earlier"  // same priority and creation time
)

// Explain's lists are bounded so a queue of 100,000 costs one line per
// entry at most this many times; the counts say how many were left out.
const (
	maxWhyHolders = 20
	maxWhyAhead   = 20
)

// Why is the answer for one waiter.
type Why struct {
	Holder   string    `json:"holder"`
	Priority int32     `json:"priority"`
	Created  time.Time `json:"created"`
	Enqueued time.Time `json:"enqueued"`
	Policy   string    `json:"policy"`
	// Locks are in the order the waiter asked for them.
	Locks []LockWhy `json:"locks"`
	// Grantable: the grant rule would grant it now (no lock has a reason).
	// A queue between operations has granted everyone it could, so this is
	// only true for a state read half-way (from the store, say).
	Grantable bool `json:"grantable"`
	// LimitOnly: it waits only for permits to free up (Full or Paused on
	// some lock), not for any earlier waiter's reservation or strict block.
	LimitOnly bool `json:"limitOnly"`
}

// LockWhy is one lock of the waiter.
type LockWhy struct {
	Lock     string `json:"lock"`
	Limit    int    `json:"limit"`
	Held     int    `json:"held"`
	Position int    `json:"position"` // 1 is the head of this lock's queue
	Length   int    `json:"length"`
	// Holders, by token (grant order); HoldersMore counts those left out.
	Holders     []HolderWhy `json:"holders"`
	HoldersMore int         `json:"holdersMore,omitempty"`
	// Ahead are the waiters before it in this lock's queue, head first;
	// AheadMore counts those left out.
	Ahead     []AheadWhy `json:"ahead"`
	AheadMore int        `json:"aheadMore,omitempty"`
	// Reasons is empty when this lock does not hold the waiter back.
	Reasons []Reason `json:"reasons"`
}

// HolderWhy is one holder of a lock.
type HolderWhy struct {
	Holder   string `json:"holder"`
	Workflow string `json:"workflow"` // <ns>/<name>
	Node     string `json:"node,omitempty"`
	Token    uint64 `json:"token"`
	// Since is when it was granted; zero when the caller did not know.
	Since time.Time `json:"since,omitzero"`
	// Release says when the hold is expected to end, in words ("expected
	// to release in ~1m (90%: 3m)"); the caller, who keeps hold times,
	// fills it in. Explain leaves it empty.
	Release string `json:"release,omitempty"`
	// WaitsOn, when set, says that this holder cannot release until a
	// waiter under it gets a lock that the explained waiter runs under.
	WaitsOn *HolderWait `json:"waitsOn,omitempty"`
}

// HolderWait is a holder's own wait for a lock held above the explained
// waiter: Waiter (under the holder) waits for Lock, held by HeldBy.
type HolderWait struct {
	Waiter string `json:"waiter"`
	Lock   string `json:"lock"`
	HeldBy string `json:"heldBy"`
}

// AheadWhy is one waiter ahead in a lock's queue.
type AheadWhy struct {
	Holder   string    `json:"holder"`
	Priority int32     `json:"priority"`
	Created  time.Time `json:"created"`
	Because  AheadKind `json:"because"`
	// GrantedFirst: the grant rule grants it now, before the waiter.
	GrantedFirst bool `json:"grantedFirst,omitempty"`
	// Reserving: it reserves its locks (backfill, waited ReserveAfter).
	Reserving bool `json:"reserving,omitempty"`
}

// Reason is one thing holding a waiter back on one lock.
type Reason struct {
	Kind ReasonKind `json:"kind"`
	Lock string     `json:"lock"`
	// Full: the waiters ahead that take the last free permits now.
	TakenBy []string `json:"takenBy,omitempty"`
	// Reserved and StrictOrder: the earlier waiter, every lock it needs,
	// and (Reserved) since when it reserves.
	By      string    `json:"by,omitempty"`
	ByLocks []string  `json:"byLocks,omitempty"`
	Since   time.Time `json:"since,omitzero"`
}

// Explain says why waiter id is waiting in st as at now, under cfg's
// policy. heldSince, which may be nil, gives when each holder was
// granted, where the caller knows it. The state need not be a fixpoint of
// the grant rule: waiters ahead that would be granted now count as taking
// their permits.
func Explain(cfg Config, st State, id string, now time.Time, heldSince map[string]time.Time) (Why, error) {
	ra := cfg.ReserveAfter
	if ra == 0 {
		ra = DefaultReserveAfter
	}
	ws := append([]domain.QueuedWaiter(nil), st.Waiters...)
	sort.SliceStable(ws, func(i, j int) bool { return keyOf(ws[i].Waiter).less(keyOf(ws[j].Waiter)) })
	me := -1
	for i := range ws {
		if ws[i].Holder == id {
			me = i
			break
		}
	}
	if me < 0 {
		return Why{}, fmt.Errorf("%w: %s", ErrNotWaiting, id)
	}
	target := ws[me]
	limits := make(map[string]int, len(st.Locks))
	for _, l := range st.Locks {
		limits[l.Key] = l.Limit
	}
	held := map[string]int{}
	for _, h := range st.Holders {
		for _, t := range h.Tokens {
			held[t.Lock]++
		}
	}
	mine := make(map[string]int, len(target.Locks))
	for i, k := range target.Locks {
		if _, ok := limits[k]; !ok {
			return Why{}, fmt.Errorf("lockq: explain %s: %w: %s", id, ErrUnknownLock, k)
		}
		mine[k] = i
	}
	why := Why{Holder: id, Priority: target.Priority, Created: target.Created, Enqueued: target.Enqueued,
		Policy: cfg.Policy.String(), Locks: make([]LockWhy, len(target.Locks))}
	for i, k := range target.Locks {
		why.Locks[i] = LockWhy{Lock: k, Limit: limits[k], Held: held[k], Length: 0, Holders: []HolderWhy{}, Ahead: []AheadWhy{}, Reasons: []Reason{}}
	}
	addHolders(why.Locks, mine, st.Holders, heldSince)
	markWaitsOn(why.Locks, target, st)

	// The walk, as model_test.go states it: free permits left and the
	// earliest waiter blocking each lock.
	free := make(map[string]int, len(limits))
	for k, lim := range limits {
		free[k] = max(0, lim-held[k])
	}
	blocker := map[string]int{}      // lock -> index in ws of whoever blocks it
	takenBy := map[string][]string{} // lock -> waiters ahead granted now
	for i := range me {
		w := ws[i]
		fits := true
		for _, k := range w.Locks {
			if _, b := blocker[k]; free[k] <= 0 || b {
				fits = false
			}
		}
		reserving := cfg.Policy == Backfill && len(w.Locks) > 1 && now.Sub(w.Enqueued) >= ra
		if fits {
			for _, k := range w.Locks {
				free[k]--
				if _, ok := mine[k]; ok {
					takenBy[k] = append(takenBy[k], w.Holder)
				}
			}
		} else {
			for _, k := range w.Locks {
				if _, b := blocker[k]; !b && (cfg.Policy == Strict || reserving) {
					blocker[k] = i
				}
			}
		}
		for _, k := range w.Locks {
			if j, ok := mine[k]; ok {
				addAhead(&why.Locks[j], w.Waiter, target.Waiter, fits, reserving && !fits)
			}
		}
	}
	for _, w := range ws[me:] {
		for _, k := range w.Locks {
			if j, ok := mine[k]; ok {
				why.Locks[j].Length++
			}
		}
	}
	limitOnly, blocked := true, false
	for j := range why.Locks {
		lw := &why.Locks[j]
		lw.Position = lw.AheadMore + len(lw.Ahead) + 1
		lw.Length += lw.Position - 1
		k := lw.Lock
		switch {
		case lw.Limit == 0:
			lw.Reasons = append(lw.Reasons, Reason{Kind: ReasonPaused, Lock: k})
		case free[k] <= 0:
			lw.Reasons = append(lw.Reasons, Reason{Kind: ReasonFull, Lock: k, TakenBy: takenBy[k]})
		}
		if i, ok := blocker[k]; ok {
			b := ws[i]
			r := Reason{Kind: ReasonStrictOrder, Lock: k, By: b.Holder, ByLocks: append([]string(nil), b.Locks...)}
			if cfg.Policy == Backfill {
				r.Kind, r.Since = ReasonReserved, b.Enqueued.Add(ra)
			}
			lw.Reasons = append(lw.Reasons, r)
			limitOnly = false
		}
		blocked = blocked || len(lw.Reasons) > 0
	}
	why.Grantable = !blocked
	why.LimitOnly = blocked && limitOnly
	return why, nil
}

// Explain is Explain over the queue's own state and policy.
func (q *Queue) Explain(id string, now time.Time, heldSince map[string]time.Time) (Why, error) {
	return Explain(Config{Policy: q.policy, ReserveAfter: time.Duration(q.reserveAfter)}, q.State(), id, now, heldSince)
}

func keyOf(w domain.Waiter) orderKey {
	return orderKey{priority: w.Priority, created: w.Created.UnixNano(), seq: w.Seq}
}

func addHolders(lws []LockWhy, mine map[string]int, holders []domain.Grant, heldSince map[string]time.Time) {
	for _, h := range holders {
		for _, t := range h.Tokens {
			j, ok := mine[t.Lock]
			if !ok {
				continue
			}
			hw := HolderWhy{Holder: h.Holder, Workflow: h.Holder, Token: t.Value, Since: heldSince[h.Holder]}
			if hk, err := domain.ParseHolderKey(h.Holder); err == nil {
				hw.Workflow, hw.Node = hk.Namespace+"/"+hk.Workflow, hk.NodeID
			}
			lws[j].Holders = append(lws[j].Holders, hw)
		}
	}
	for j := range lws {
		hs := lws[j].Holders
		sort.Slice(hs, func(a, b int) bool { return hs[a].Token < hs[b].Token })
		if len(hs) > maxWhyHolders {
			lws[j].HoldersMore = len(hs) - maxWhyHolders
			lws[j].Holders = hs[:maxWhyHolders]
		}
	}
}

// markWaitsOn finds the holders (of the waiter's locks) under which some
// waiter waits for a lock held by a holder the explained waiter runs
// under: one step of a cycle, cheap to see (linear in the state), that
// the detector breaks when nothing else can release.
func markWaitsOn(lws []LockWhy, target domain.QueuedWaiter, st State) {
	above := map[string]bool{}
	for _, h := range aboveOf(&target.Waiter, nil) {
		above[h] = true
	}
	ours := map[string]string{} // lock -> a holder above the target holding it
	for _, h := range st.Holders {
		if !above[h.Holder] {
			continue
		}
		for _, t := range h.Tokens {
			if _, ok := ours[t.Lock]; !ok {
				ours[t.Lock] = h.Holder
			}
		}
	}
	if len(ours) == 0 {
		return
	}
	waits := map[string]*HolderWait{} // holder -> a wait under it for one of ours
	for i := range st.Waiters {
		w := &st.Waiters[i]
		if w.Holder == target.Holder {
			continue
		}
		for _, l := range w.Locks {
			o, ok := ours[l]
			if !ok {
				continue
			}
			for _, h := range aboveOf(&w.Waiter, nil) {
				if waits[h] == nil {
					waits[h] = &HolderWait{Waiter: w.Holder, Lock: l, HeldBy: o}
				}
			}
			break
		}
	}
	for j := range lws {
		for k := range lws[j].Holders {
			hw := &lws[j].Holders[k]
			if hw.WaitsOn == nil && !above[hw.Holder] {
				hw.WaitsOn = waits[hw.Holder]
			}
		}
	}
}

func addAhead(lw *LockWhy, a, me domain.Waiter, granted, reserving bool) {
	if len(lw.Ahead) >= maxWhyAhead {
		lw.AheadMore++
		return
	}
	because := AheadQueued
	switch {
	case a.Priority != me.Priority:
		because = AheadPriority
	case !a.Created.Equal(me.Created):
		because = AheadCreated
	}
	lw.Ahead = append(lw.Ahead, AheadWhy{Holder: a.Holder, Priority: a.Priority, Created: a.Created,
		Because: because, GrantedFirst: granted, Reserving: reserving})
}
