package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/store"
)

// exerciseLockManager runs lock managers (internal/locks) on the store:
// two managers on two handles of one database racing, and a manager
// meeting a write made outside any manager.
func exerciseLockManager(t *testing.T, open Factory) {
	each(t, open, map[string]check{"OutsideWrite": outsideWrite})
	eachShared(t, open, map[string]sharedCheck{"TwoManagersRace": twoManagersRace, "HoldHistory": holdHistory})
}

// raceOps is how many lock operations the two managers make in all.
const raceOps = 1000

// raceLocks are the locks the race is fought over: two mutexes and two
// database semaphores whose limits change during the race.
var raceLocks = []spec.LockRef{
	{Key: "default/Mutex/m0", Kind: spec.LockMutex, Namespace: "default", DatabaseKey: "m0", IsMutex: true},
	{Key: "default/Mutex/m1", Kind: spec.LockMutex, Namespace: "default", DatabaseKey: "m1", IsMutex: true},
	{Key: "default/Database/s0", Kind: spec.LockDatabase, Namespace: "default", DatabaseKey: "s0"},
	{Key: "default/Database/s1", Kind: spec.LockDatabase, Namespace: "default", DatabaseKey: "s1"},
}

// raceMaxLimit bounds the semaphores' limits: no lock may ever have more
// holders, whatever the order of limit changes.
const raceMaxLimit = 3

type noConfigMaps struct{}

func (noConfigMaps) ConfigMap(string, string) *wfv1.ConfigMap { return nil }

// errRollback ends a transaction on purpose, after the manager changed its
// queues for it.
var errRollback = errors.New("rolled back on purpose")

// raceOp is one random lock operation and what the store must show after it.
type raceOp struct {
	desc     string
	run      func(ctx context.Context, tx store.Tx, m *locks.Manager, now time.Time) ([]domain.Grant, error)
	asked    string   // a new holder: it must hold or wait afterwards
	gone     []string // released holders: they must neither hold nor wait
	rollback bool
}

// ledger is what the test knows across both managers: every request, and
// every grant of a committed transaction.
type ledger struct {
	mu      sync.Mutex
	asked   map[string][]string          // holder -> lock keys, all or nothing
	granted map[string]map[string]uint64 // holder -> its tokens
	tokens  map[string]map[uint64]string // lock -> token -> holder
	live    []string                     // asked for and not released
}

// twoManagersRace drives two lock managers, each on its own handle of one
// database, concurrently through raceOps random operations (requests of
// one to three locks at three priorities, releases, cancels, workflow
// releases, limit changes, and transactions rolled back after the manager
// decided). After every operation it checks, inside the transaction and
// again from the committed store, that no lock has more holders than its
// limit allows, no holder is granted twice, a holder holds all it asked
// for or nothing, the grants returned are those stored, and each lock's
// fencing tokens strictly increase.
//
// It uses math/rand with a logged seed rather than rapid: the scheduler
// interleaves the two managers, so a failing run cannot be replayed or
// shrunk from its seed alone.
func twoManagersRace(t *testing.T, s1, s2 store.Store) {
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	led := &ledger{asked: map[string][]string{}, granted: map[string]map[string]uint64{}, tokens: map[string]map[uint64]string{}}
	var mgrs [2]*locks.Manager
	for i, s := range []store.Store{s1, s2} {
		mgrs[i] = locks.New(lockq.Config{Policy: lockq.Backfill}, noConfigMaps{})
		if _, err := mgrs[i].Load(ctx, s, time.Now()); err != nil {
			t.Fatalf("manager %d: load: %v", i, err)
		}
	}
	must(t, s1.Update(ctx, func(tx store.Tx) error {
		for _, ref := range raceLocks[2:] {
			if _, err := mgrs[0].SetLimit(ctx, tx, ref.Key, 2, time.Now()); err != nil {
				return err
			}
		}
		return nil
	}))
	var stop atomic.Bool
	var wg sync.WaitGroup
	for i, s := range []store.Store{s1, s2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			for n := range raceOps / 2 {
				if stop.Load() {
					return
				}
				op := led.randomOp(rng, i, n)
				if err := led.step(ctx, s, mgrs[i], op); err != nil {
					stop.Store(true)
					t.Errorf("manager %d, operation %d (%s): %v", i, n, op.desc, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d holders granted, %d still waiting or holding", len(led.granted), len(led.live))
}

func (l *ledger) randomOp(rng *rand.Rand, mgr, n int) raceOp {
	l.mu.Lock()
	defer l.mu.Unlock()
	// Mostly a holder, so locks change hands; else any, so waits are
	// cancelled too.
	pick := func() (string, bool) {
		if len(l.live) == 0 {
			return "", false
		}
		for range 3 {
			if h := l.live[rng.IntN(len(l.live))]; l.granted[h] != nil {
				return h, true
			}
		}
		return l.live[rng.IntN(len(l.live))], true
	}
	// 40% requests, 35% releases, 8% limit changes, 7% workflow
	// releases, and 10% one of these rolled back.
	r := rng.IntN(100)
	rollback := r >= 90
	if rollback {
		r = rng.IntN(90)
	}
	var op raceOp
	switch {
	case r >= 75 && r < 83:
		// Mostly above zero: a limit of 0 pauses the semaphore.
		key, limit := raceLocks[2+rng.IntN(2)].Key, 1+rng.IntN(raceMaxLimit)
		if rng.IntN(4) == 0 {
			limit = 0
		}
		op = raceOp{desc: fmt.Sprintf("limit of %s to %d", key, limit),
			run: func(ctx context.Context, tx store.Tx, m *locks.Manager, now time.Time) ([]domain.Grant, error) {
				return m.SetLimit(ctx, tx, key, limit, now)
			}}
	case r >= 83:
		h, ok := pick()
		if !ok {
			return l.request(rng, mgr, n)
		}
		wf := workflowOf(h)
		op = raceOp{desc: "release of workflow " + wf, gone: l.holdersOf(wf),
			run: func(ctx context.Context, tx store.Tx, m *locks.Manager, now time.Time) ([]domain.Grant, error) {
				return m.ReleaseWorkflow(ctx, tx, "default", wf[len("default/"):], now)
			}}
	case r >= 40:
		h, ok := pick()
		if !ok {
			return l.request(rng, mgr, n)
		}
		op = raceOp{desc: "release of " + h, gone: []string{h},
			run: func(ctx context.Context, tx store.Tx, m *locks.Manager, now time.Time) ([]domain.Grant, error) {
				res, err := m.Apply(ctx, tx, nil, []string{h}, now)
				if err != nil {
					return nil, err
				}
				return res.Grants, nil
			}}
	default:
		op = l.request(rng, mgr, n)
	}
	op.rollback = rollback
	if rollback {
		op.desc += ", rolled back"
	}
	return op
}

// request makes a new holder asking for one to three of the race's locks.
// Half are workflow-level holders (default/wf-M-N), half a node's
// (default/wf-M-N/step).
func (l *ledger) request(rng *rand.Rand, mgr, n int) raceOp {
	h := fmt.Sprintf("default/wf-%d-%d", mgr, n)
	if rng.IntN(2) == 0 {
		h += "/step"
	}
	perm := rng.Perm(len(raceLocks))[:1+rng.IntN(3)]
	req := locks.Request{Holder: h, Priority: int32(rng.IntN(3)), Created: time.Unix(1000+rng.Int64N(10), 0)}
	keys := make([]string, len(perm))
	for i, p := range perm {
		req.Locks = append(req.Locks, raceLocks[p])
		keys[i] = raceLocks[p].Key
	}
	l.asked[h] = keys
	return raceOp{desc: fmt.Sprintf("request of %s for %v at priority %d", h, keys, req.Priority), asked: h,
		run: func(ctx context.Context, tx store.Tx, m *locks.Manager, now time.Time) ([]domain.Grant, error) {
			res, err := m.Apply(ctx, tx, []locks.Request{req}, nil, now)
			if err != nil {
				return nil, err
			}
			if why, ok := res.Failed[h]; ok {
				return nil, fmt.Errorf("request of %s failed: %s", h, why)
			}
			return res.Grants, nil
		}}
}

func workflowOf(holder string) string {
	if i := len("default/"); i < len(holder) {
		for j := i; j < len(holder); j++ {
			if holder[j] == '/' {
				return holder[:j]
			}
		}
	}
	return holder
}

// holdersOf lists the live holders of workflow wf; l.mu is held.
func (l *ledger) holdersOf(wf string) []string {
	var out []string
	for _, h := range l.live {
		if workflowOf(h) == wf {
			out = append(out, h)
		}
	}
	return out
}

// step runs op in one transaction, checks the store inside it, records
// the grants once it committed and checks the committed store.
func (l *ledger) step(ctx context.Context, s store.Store, m *locks.Manager, op raceOp) error {
	var grants []domain.Grant
	err := s.Update(ctx, func(tx store.Tx) error {
		var err error
		grants, err = op.run(ctx, tx, m, time.Now())
		if err != nil {
			return err
		}
		after, err := tx.LoadLocks(ctx)
		if err != nil {
			return err
		}
		if err := l.checkStep(after, grants, op); err != nil {
			return err
		}
		if op.rollback {
			return errRollback
		}
		return nil
	})
	switch {
	case op.rollback && errors.Is(err, errRollback):
		return nil
	case err != nil:
		return err
	}
	if err := l.record(grants, op); err != nil {
		return err
	}
	var st *store.LockState
	if err := s.View(ctx, func(tx store.Tx) error {
		var err error
		st, err = tx.LoadLocks(ctx)
		return err
	}); err != nil {
		return err
	}
	return l.checkStore(st)
}

// checkStep checks one operation's grants against the store it left,
// inside its transaction.
func (l *ledger) checkStep(after *store.LockState, grants []domain.Grant, op raceOp) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	limits, fences := map[string]int{}, map[string]uint64{}
	for _, li := range after.Locks {
		limits[li.Key], fences[li.Key] = li.Limit, li.Fence
	}
	newTokens := map[string][]uint64{} // lock -> tokens granted now
	seen := map[string]bool{}
	for _, g := range grants {
		if seen[g.Holder] {
			return fmt.Errorf("%s granted twice in one operation", g.Holder)
		}
		seen[g.Holder] = true
		toks := tokenMap(g.Tokens)
		if prev, ok := l.granted[g.Holder]; ok {
			return fmt.Errorf("%s granted %v, but it was granted %v before", g.Holder, g.Tokens, prev)
		}
		if want := l.asked[g.Holder]; !sameKeys(toks, want) {
			return fmt.Errorf("%s granted %v, but it asked for %v (all or nothing)", g.Holder, g.Tokens, want)
		}
		stored := map[string]uint64{}
		for _, tok := range after.Holds[g.Holder] {
			stored[tok.Lock] = tok.Value
		}
		if !maps.Equal(stored, toks) {
			return fmt.Errorf("%s granted %v, but the store holds %v for it", g.Holder, g.Tokens, stored)
		}
		for lock, v := range toks {
			newTokens[lock] = append(newTokens[lock], v)
		}
	}
	for lock, toks := range newTokens {
		holders, oldMax := 0, uint64(0)
		for h, ht := range after.Holds {
			for _, tok := range ht {
				if tok.Lock != lock {
					continue
				}
				holders++
				if !seen[h] {
					oldMax = max(oldMax, tok.Value)
				}
			}
		}
		if holders > limits[lock] {
			return fmt.Errorf("lock %s granted to %d holders, over its limit %d", lock, holders, limits[lock])
		}
		newMax := slices.Max(toks)
		if slices.Min(toks) <= oldMax {
			return fmt.Errorf("lock %s: new tokens %v not above the tokens held already (up to %d)", lock, toks, oldMax)
		}
		if fences[lock] != newMax {
			return fmt.Errorf("lock %s: fence %d after granting tokens %v", lock, fences[lock], toks)
		}
	}
	waiting := map[string]bool{}
	for _, w := range after.Waiters {
		waiting[w.Holder] = true
	}
	if h := op.asked; h != "" && after.Holds[h] == nil && !waiting[h] {
		return fmt.Errorf("%s asked for locks, but neither holds nor waits", h)
	}
	for _, h := range op.gone {
		if after.Holds[h] != nil || waiting[h] {
			return fmt.Errorf("%s was released, but still holds %v or waits (%t)", h, after.Holds[h], waiting[h])
		}
	}
	return nil
}

// record notes the grants of a committed operation: a holder granted
// before, or a token handed out before, is a double grant whichever
// manager committed first.
func (l *ledger) record(grants []domain.Grant, op raceOp) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, g := range grants {
		if prev, ok := l.granted[g.Holder]; ok {
			return fmt.Errorf("%s granted %v after a committed grant of %v", g.Holder, g.Tokens, prev)
		}
		toks := tokenMap(g.Tokens)
		l.granted[g.Holder] = toks
		for lock, v := range toks {
			if l.tokens[lock] == nil {
				l.tokens[lock] = map[uint64]string{}
			}
			if other, ok := l.tokens[lock][v]; ok {
				return fmt.Errorf("token %d of %s granted to %s and to %s", v, lock, other, g.Holder)
			}
			l.tokens[lock][v] = g.Holder
		}
	}
	if op.asked != "" {
		l.live = append(l.live, op.asked)
	}
	for _, h := range op.gone {
		if i := slices.Index(l.live, h); i >= 0 {
			l.live = slices.Delete(l.live, i, i+1)
		}
	}
	return nil
}

// checkStore checks the committed lock state: no lock over the highest
// limit it ever had, distinct tokens per lock within its fence, each
// holder holding what it asked for and was granted, and no holder also
// waiting.
func (l *ledger) checkStore(st *store.LockState) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	fences := map[string]uint64{}
	for _, li := range st.Locks {
		fences[li.Key] = li.Fence
	}
	byLock := map[string]map[uint64]string{}
	for h, toks := range st.Holds {
		got := map[string]uint64{}
		for _, tok := range toks {
			got[tok.Lock] = tok.Value
			if byLock[tok.Lock] == nil {
				byLock[tok.Lock] = map[uint64]string{}
			}
			if other, ok := byLock[tok.Lock][tok.Value]; ok {
				return fmt.Errorf("store: %s and %s hold %s with the same token %d", other, h, tok.Lock, tok.Value)
			}
			byLock[tok.Lock][tok.Value] = h
			if tok.Value > fences[tok.Lock] {
				return fmt.Errorf("store: %s holds %s with token %d beyond its fence %d", h, tok.Lock, tok.Value, fences[tok.Lock])
			}
		}
		if !sameKeys(got, l.asked[h]) {
			return fmt.Errorf("store: %s holds %v, but asked for %v (all or nothing)", h, got, l.asked[h])
		}
		if prev, ok := l.granted[h]; ok && !maps.Equal(prev, got) {
			return fmt.Errorf("store: %s holds %v, but was granted %v", h, got, prev)
		}
	}
	for lock, holders := range byLock {
		limit := raceMaxLimit
		if lock == raceLocks[0].Key || lock == raceLocks[1].Key {
			limit = 1
		}
		if len(holders) > limit {
			return fmt.Errorf("store: lock %s has %d holders %v, over its limit %d", lock, len(holders), slices.Collect(maps.Values(holders)), limit)
		}
	}
	for _, w := range st.Waiters {
		if st.Holds[w.Holder] != nil {
			return fmt.Errorf("store: %s both holds %v and waits", w.Holder, st.Holds[w.Holder])
		}
	}
	return nil
}

// tokenMap gives a grant's tokens by lock; a lock granted twice shows as
// fewer keys than were asked for.
func tokenMap(toks []domain.Token) map[string]uint64 {
	out := make(map[string]uint64, len(toks))
	for _, t := range toks {
		out[t.Lock] = t.Value
	}
	return out
}

func sameKeys(toks map[string]uint64, keys []string) bool {
	if len(toks) != len(keys) {
		return false
	}
	for _, k := range keys {
		if _, ok := toks[k]; !ok {
			return false
		}
	}
	return true
}
