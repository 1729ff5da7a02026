// Package locks is the lock manager: it owns the wait queues (lockq), reads
// limits from stored ConfigMaps, and persists every hold, waiter and fencing
// counter through the store in the caller's transaction, so lock state and
// the workflow change that caused it commit together.
//
// The store is the authority; the queues are its index in memory. Every
// operation that can grant first claims the lock state in the caller's
// transaction (store.LockTx.ClaimLocks) and, when the stored generation is
// not the one this manager wrote last, rebuilds the queues from the store
// before deciding. So two managers on one store, or a transaction that
// rolled back after the queues changed for it, never grant from a stale
// picture.
package locks

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/eta"
	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/store"
)

// Request asks for locks for one holder, all or nothing.
type Request struct {
	Holder   string
	Locks    []spec.LockRef
	Priority int32
	Created  time.Time
	// Under are the holder keys of the nodes the request's node runs
	// under, stored with its waiter for the deadlock detector.
	Under []string
	// Template names what takes the locks, for hold-time history: a
	// HistoryKey (the engine's lockTemplate says which); "" or another
	// form counts for the lock alone.
	Template string
}

// Result is what one Apply decided.
type Result struct {
	Grants []domain.Grant
	// Waiting gives each request that must wait its waiting message.
	Waiting map[string]string
	// Failed gives each request that can never be granted its reason (a
	// missing ConfigMap or key, a bad limit).
	Failed map[string]string
}

// ConfigMaps finds the stored ConfigMaps that hold semaphore limits.
type ConfigMaps interface {
	ConfigMap(namespace, name string) *wfv1.ConfigMap
}

// Manager is the lock manager of one engine.
type Manager struct {
	mu   sync.Mutex
	cfg  lockq.Config
	q    *lockq.Queue
	cms  ConfigMaps
	refs map[string]spec.LockRef // every lock seen, to re-read limits
	// id names this manager in the lock generations it writes; unique per
	// instance, so a generation one manager wrote in a transaction that
	// rolled back never equals one another committed.
	id string
	// gen is the generation q reflects, the one this manager's last claim
	// stored; synced is false until q was built from the store, and after
	// an operation failed half-way.
	gen    store.LockGeneration
	synced bool
	// For the observer: since when each waiter waits and each holder holds.
	obs                  Observer
	waitSince, holdSince map[string]time.Time
	hist                 history
}

// New makes a manager; Load must run before the first Apply.
func New(cfg lockq.Config, cms ConfigMaps) *Manager {
	return &Manager{cfg: cfg, cms: cms, q: lockq.New(cfg), refs: map[string]spec.LockRef{},
		id: "locks-" + rand.Text(), waitSince: map[string]time.Time{}, holdSince: map[string]time.Time{}, hist: newHistory()}
}

// Load rebuilds the queues from the store and persists any grant the saved
// state still owed; it returns those grants. Restore can owe grants after
// a write outside any manager (a limit raised in the store) or a state
// saved by an older version; every later rebuild records and returns them
// the same way, in the result of the operation that found them.
func (m *Manager) Load(ctx context.Context, s store.Store, now time.Time) ([]domain.Grant, error) {
	m.mu.Lock()
	m.synced = false
	m.mu.Unlock()
	var grants []domain.Grant
	err := s.Update(ctx, func(tx store.Tx) error {
		owed, err := m.begin(ctx, tx, now)
		if err != nil {
			return err
		}
		m.mu.Unlock()
		grants = owed
		return nil
	})
	if store.NoSpace(err) {
		// A full disk refuses even the claim: the queues are built from
		// what is stored, so the engine can start, answer reads and wait;
		// nothing is granted until a claim succeeds, which rebuilds again
		// (synced stays false) and records what the state owes.
		err = m.Reload(ctx, s, now)
		grants = nil
	}
	return grants, err
}

// begin claims the lock state for tx and makes q match the store,
// rebuilding it when another transaction changed the state since this
// manager's last claim (another manager, a write outside any manager, or
// a transaction of this one that rolled back). The rebuild's owed grants
// are recorded in tx and returned. On success m.mu is held; the caller
// releases it with end.
func (m *Manager) begin(ctx context.Context, tx store.Tx, now time.Time) ([]domain.Grant, error) {
	// The claim may wait for another engine's transaction: m.mu is not
	// held across it, so this engine's readers are not held up too.
	prev, err := tx.ClaimLocks(ctx, m.id)
	if err != nil {
		return nil, fmt.Errorf("claiming the lock state: %w", err)
	}
	m.mu.Lock()
	m.hist.version++
	var owed []domain.Grant
	if !m.synced || prev != m.gen {
		if owed, err = m.rebuild(ctx, tx, now); err != nil {
			m.end(err)
			return nil, err
		}
	}
	m.gen, m.synced = store.LockGeneration{Counter: prev.Counter + 1, Writer: m.id}, true
	return owed, nil
}

// end releases m.mu after an operation begin started. An operation that
// failed may have changed q for a transaction that must not commit: the
// next one rebuilds.
func (m *Manager) end(err error) {
	if err != nil {
		m.synced = false
	}
	m.mu.Unlock()
}

func (m *Manager) rebuild(ctx context.Context, tx store.Tx, now time.Time) ([]domain.Grant, error) {
	owed, err := m.restoreState(ctx, tx, now)
	if err != nil {
		return nil, err
	}
	return m.record(ctx, tx, owed, now)
}

// Reload rebuilds the queues from the store without writing, for readers
// on a store other engines change too (several nodes): their grants and
// releases reach this manager's queues otherwise only at its next claim.
// The next claim rebuilds again, as after any restore.
func (m *Manager) Reload(ctx context.Context, s store.Store, now time.Time) error {
	return s.View(ctx, func(tx store.Tx) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.restore(ctx, tx, now)
	})
}

// restore builds the queues from the store without writing: what the
// stored state owes is in the queues but not recorded, so m stays out of
// sync and its next claim rebuilds.
func (m *Manager) restore(ctx context.Context, tx store.Tx, now time.Time) error {
	_, err := m.restoreState(ctx, tx, now)
	m.synced = false
	return err
}

// restoreState builds the queues from the store and returns the grants
// the stored state owes (waiters that fit), not yet recorded.
func (m *Manager) restoreState(ctx context.Context, tx store.Tx, now time.Time) ([]domain.Grant, error) {
	st, err := tx.LoadLocks(ctx)
	if err != nil {
		return nil, err
	}
	qs := lockq.State{NextSeq: st.NextSeq, Waiters: st.Waiters}
	for _, l := range st.Locks {
		qs.Locks = append(qs.Locks, lockq.LockState{Key: l.Key, Limit: l.Limit, Fence: l.Fence})
	}
	for holder, toks := range st.Holds {
		qs.Holders = append(qs.Holders, domain.Grant{Holder: holder, Tokens: toks})
	}
	slices.SortFunc(qs.Holders, func(a, b domain.Grant) int { return strings.Compare(a.Holder, b.Holder) })
	q, owed, err := lockq.Restore(m.cfg, qs, now)
	if err != nil {
		return nil, fmt.Errorf("rebuilding lock queues from the store: %w", err)
	}
	m.q = q
	m.hist.restore(st)
	// Waits and holds resume their clocks; a hold stored before the store
	// recorded its start counts from now.
	clear(m.waitSince)
	for _, w := range st.Waiters {
		m.waitSince[w.Holder] = w.Enqueued
	}
	for h := range m.holdSince {
		if _, ok := st.Holds[h]; !ok {
			delete(m.holdSince, h)
		}
	}
	for h := range st.Holds {
		if since := st.HoldInfo[h].Since; !since.IsZero() {
			m.holdSince[h] = since
		} else if _, ok := m.holdSince[h]; !ok {
			m.holdSince[h] = now
			m.hist.guessed[h] = true
		}
	}
	return copyGrants(owed), nil
}

// Apply releases holders (or cancels their waits), then queues requests,
// in the caller's transaction. A request for a holder already queued or
// holding changes nothing. An error means tx must not commit.
func (m *Manager) Apply(ctx context.Context, tx store.Tx, reqs []Request, releases []string, now time.Time) (_ *Result, err error) {
	owed, err := m.begin(ctx, tx, now)
	if err != nil {
		return nil, err
	}
	defer func() { m.end(err) }()
	return m.apply(ctx, tx, owed, reqs, releases, now)
}

// apply is Apply once begun; owed are the grants begin recorded.
func (m *Manager) apply(ctx context.Context, tx store.Tx, owed []domain.Grant, reqs []Request, releases []string, now time.Time) (*Result, error) {
	res := &Result{Waiting: map[string]string{}, Failed: map[string]string{}}
	raw := copyGrants(m.q.Advance(now))
	// Requests queue before the releases grant: what one transaction
	// frees goes to the best of all who want it then, by priority and
	// age. A workflow whose next step asks as its last one releases
	// (parallelism 1: the next may only ask once a slot is free) would
	// otherwise lose every turn to lower priorities already queued. A
	// holder that is released and asks again asks after its release.
	releasing := make(map[string]bool, len(releases))
	for _, h := range releases {
		releasing[h] = true
	}
	add := func(r Request) {
		gs, err := m.add(ctx, tx, r, now)
		if err != nil {
			res.Failed[r.Holder] = err.Error()
			return
		}
		raw = append(raw, gs...)
	}
	for _, r := range reqs {
		if !releasing[r.Holder] {
			add(r)
		}
	}
	for _, h := range releases {
		held := m.q.Holding(h) // before Release forgets them
		if gs, ok := m.q.Release(h, now); ok {
			d, known := m.released(h, held, now)
			raw = append(raw, copyGrants(gs)...)
			if err := tx.DeleteHold(ctx, h); err != nil {
				return nil, err
			}
			// The hold time joins the history in the transaction that
			// ends the hold.
			if err := m.hist.record(ctx, tx, h, held, d, known); err != nil {
				return nil, err
			}
		} else if gs, ok := m.q.Cancel(h, now); ok {
			delete(m.waitSince, h)
			m.hist.forget(h)
			raw = append(raw, copyGrants(gs)...)
			if err := tx.DeleteWaiter(ctx, h); err != nil {
				return nil, err
			}
		}
	}
	if len(releases) > 0 && len(raw) > 0 {
		// A grant this call made to a holder it also released (one
		// release granted the next waiter, then that waiter was released
		// too) is never recorded: its hold row would outlive the release.
		// A holder already released is granted nothing later in the loop.
		var dropped []string
		raw = slices.DeleteFunc(raw, func(g domain.Grant) bool {
			if releasing[g.Holder] {
				dropped = append(dropped, g.Holder)
				return true
			}
			return false
		})
		for _, h := range dropped {
			// Its waiter row and wait go as record would have removed them.
			delete(m.waitSince, h)
			if err := tx.DeleteWaiter(ctx, h); err != nil {
				return nil, err
			}
		}
	}
	for _, r := range reqs {
		if releasing[r.Holder] {
			add(r)
		}
	}
	grants, err := m.record(ctx, tx, raw, now)
	if err != nil {
		return nil, err
	}
	// Owed grants are recorded already; one whose holder this call
	// released is not delivered.
	for _, g := range owed {
		if !slices.Contains(releases, g.Holder) {
			res.Grants = append(res.Grants, g)
		}
	}
	res.Grants = append(res.Grants, grants...)
	granted := map[string]bool{}
	for _, g := range res.Grants {
		granted[g.Holder] = true
	}
	for _, r := range reqs {
		if _, failed := res.Failed[r.Holder]; !failed && !granted[r.Holder] && len(m.q.Holding(r.Holder)) == 0 {
			res.Waiting[r.Holder] = m.waitingMessage(r, 0, "", now)
		}
	}
	return res, nil
}

func (m *Manager) add(ctx context.Context, tx store.Tx, r Request, now time.Time) (granted []domain.Grant, err error) {
	if len(m.q.Holding(r.Holder)) > 0 || len(m.q.Position(r.Holder)) > 0 {
		return nil, nil
	}
	keys := make([]string, len(r.Locks))
	for i, ref := range r.Locks {
		keys[i] = ref.Key
		if limit, _, known := m.q.Usage(ref.Key); known {
			m.refs[ref.Key] = ref
			// A ConfigMap deleted or broken since keeps its last known
			// limit in force (DESIGN §2): a workflow that was valid when
			// submitted queues on it, told why (Waiting), rather than
			// failing mid-run. Submitting a new one is refused (lint).
			if ref.Kind == spec.LockEngine && limit != ref.Limit {
				// The engine restarted with another cap: it applies now.
				gs, err := m.q.SetLimit(ref.Key, ref.Limit, now)
				if err != nil {
					return nil, err
				}
				granted = append(granted, copyGrants(gs)...)
				if err := tx.PutLockLimit(ctx, ref.Key, ref.Limit); err != nil {
					return nil, err
				}
			}
			continue
		}
		limit, err := m.limitOf(ctx, tx, ref)
		if err != nil {
			return nil, err
		}
		gs, err := m.q.SetLimit(ref.Key, limit, now)
		if err != nil {
			return nil, err
		}
		granted = append(granted, copyGrants(gs)...)
		if err := tx.PutLockLimit(ctx, ref.Key, limit); err != nil {
			return nil, err
		}
		m.refs[ref.Key] = ref
	}
	seq, err := tx.NextLockSeq(ctx)
	if err != nil {
		return nil, err
	}
	w := domain.Waiter{Holder: r.Holder, Locks: keys, Priority: r.Priority, Created: r.Created, Seq: seq, Under: r.Under}
	if r.Template != "" {
		m.hist.template[r.Holder] = r.Template
	}
	added, err := m.q.Add(w, now)
	if err != nil {
		return nil, fmt.Errorf("lock request of %s: %w", r.Holder, err)
	}
	granted = append(granted, copyGrants(added)...)
	if len(m.q.Holding(r.Holder)) == 0 {
		m.waitSince[r.Holder] = now
		if err := tx.PutWaiter(ctx, domain.QueuedWaiter{Waiter: w, Enqueued: now, Template: r.Template}); err != nil {
			return nil, err
		}
	}
	return granted, nil
}

// copyGrants copies lockq's grants at once: lockq reuses its grant and
// token slices on its next call, so a grant kept across two calls would
// silently take another holder's tokens. One array holds every token.
func copyGrants(gs []domain.Grant) []domain.Grant {
	n := 0
	for _, g := range gs {
		n += len(g.Tokens)
	}
	toks := make([]domain.Token, 0, n)
	out := make([]domain.Grant, len(gs))
	for i, g := range gs {
		start := len(toks)
		toks = append(toks, g.Tokens...)
		out[i] = domain.Grant{Holder: g.Holder, Tokens: toks[start:len(toks):len(toks)]}
	}
	return out
}

// record persists grants: the waiter row goes, hold rows and fencing
// counters are written. The observer hears of them.
func (m *Manager) record(ctx context.Context, tx store.Tx, grants []domain.Grant, now time.Time) ([]domain.Grant, error) {
	for _, g := range grants {
		if err := tx.DeleteWaiter(ctx, g.Holder); err != nil {
			return nil, err
		}
		for _, t := range g.Tokens {
			if err := tx.PutFence(ctx, t.Lock, t.Value); err != nil {
				return nil, err
			}
		}
		if err := tx.PutHold(ctx, g.Holder, g.Tokens, store.HoldInfo{Template: m.hist.template[g.Holder], Since: now}); err != nil {
			return nil, err
		}
		delete(m.hist.guessed, g.Holder)
	}
	m.taken(grants, now)
	return grants, nil
}

// limitOf reads a lock's limit: 1 for a mutex, the ConfigMap's value for a
// semaphore, the stored limit for a database semaphore.
func (m *Manager) limitOf(ctx context.Context, tx store.Tx, ref spec.LockRef) (int, error) {
	switch {
	case ref.IsMutex:
		return 1, nil
	case ref.Kind == spec.LockEngine:
		return ref.Limit, nil
	case ref.Kind == spec.LockDatabase:
		st, err := tx.LoadLocks(ctx)
		if err != nil {
			return 0, err
		}
		for _, l := range st.Locks {
			if l.Key == ref.Key {
				return l.Limit, nil
			}
		}
		return 0, fmt.Errorf("database semaphore %s has no limit: set one with `semaflow sync set %s N` (or `argo sync create %s --type database --limit N`), then submit again",
			ref.Key, ref.Key, ref.DatabaseKey)
	}
	return configMapLimit(m.cms, ref)
}

func configMapLimit(cms ConfigMaps, ref spec.LockRef) (int, error) {
	cm := cms.ConfigMap(ref.Namespace, ref.ConfigMap)
	if cm == nil {
		return 0, fmt.Errorf("semaphore %s: ConfigMap %s/%s not found", ref.Key, ref.Namespace, ref.ConfigMap)
	}
	n, err := spec.ParseLimit(cm.Data, ref.ConfigMapKey)
	if err != nil {
		return 0, fmt.Errorf("semaphore %s: ConfigMap %s/%s %w", ref.Key, ref.Namespace, ref.ConfigMap, err)
	}
	return n, nil
}

// Refresh re-reads the limits of every known semaphore whose ConfigMap is
// in namespace/name (after it was applied) and grants what now fits. A
// ConfigMap that lost its key keeps the last known limit.
func (m *Manager) Refresh(ctx context.Context, tx store.Tx, namespace, name string, now time.Time) (_ []domain.Grant, err error) {
	owed, err := m.begin(ctx, tx, now)
	if err != nil {
		return nil, err
	}
	defer func() { m.end(err) }()
	var raw []domain.Grant
	// Every lock this ConfigMap sets, including those known only from the
	// store (restored after a restart, not yet requested again).
	for _, key := range m.q.Keys() {
		if _, known := m.refs[key]; known {
			continue
		}
		if ref, ok := configMapRef(key); ok && ref.Namespace == namespace && ref.ConfigMap == name {
			m.refs[key] = ref
		}
	}
	for key, ref := range m.refs {
		if ref.Kind != spec.LockConfigMap || ref.IsMutex || ref.Namespace != namespace || ref.ConfigMap != name {
			continue
		}
		limit, err := configMapLimit(m.cms, ref)
		if err != nil {
			continue
		}
		gs, err := m.q.SetLimit(key, limit, now)
		if err != nil {
			return nil, err
		}
		raw = append(raw, copyGrants(gs)...)
		if err := tx.PutLockLimit(ctx, key, limit); err != nil {
			return nil, err
		}
	}
	grants, err := m.record(ctx, tx, raw, now)
	if err != nil {
		return nil, err
	}
	return append(owed, grants...), nil
}

// waitingMessage is Argo's waiting message for the first lock the request
// is short of, with semaflow's queue position appended (and, when known,
// how long the holder has waited), then start, when given: the estimated
// start (eta.Text), as in "(position 3 of 7), starts in ~2m10s (90%: 5m)".
// Before the estimate it says which earlier waiter holds it back, if one
// does (heldBackText).
func (m *Manager) waitingMessage(r Request, waited time.Duration, start string, now time.Time) string {
	pos := m.q.Position(r.Holder)
	for _, ref := range r.Locks {
		if why := m.limitProblem(ref.Key); why != "" {
			msg := fmt.Sprintf("Waiting for %s lock: its limit is unavailable: %s", ref.Key, why)
			for _, p := range pos {
				if p.Lock == ref.Key {
					msg += fmt.Sprintf(" (position %d of %d)", p.Position, p.Length)
				}
			}
			return msg
		}
	}
	back := worthSaying(m.q.HeldBack(r.Holder))
	// A lock it is short of, as Argo says; else, when every lock has a
	// free permit, one an earlier waiter keeps from it.
	key, avail, limit, found := "", 0, 0, false
	for pass := 0; pass < 2 && !found; pass++ {
		for _, ref := range r.Locks {
			l, held, ok := m.q.Usage(ref.Key)
			if !ok {
				continue
			}
			a := max(0, l-held)
			short := a == 0 || len(r.Locks) == 1
			if (pass == 0 && !short) || (pass == 1 && !slices.ContainsFunc(back, func(b lockq.Reason) bool { return b.Lock == ref.Key })) {
				continue
			}
			key, avail, limit, found = ref.Key, a, l, true
			break
		}
	}
	if !found {
		return "Waiting for locks " + r.Locks[0].Key
	}
	msg := fmt.Sprintf("Waiting for %s lock. Lock status: %d/%d", key, avail, limit)
	for _, p := range pos {
		if p.Lock == key {
			msg += fmt.Sprintf(" (position %d of %d", p.Position, p.Length)
			if waited >= time.Second {
				msg += ", waiting " + waited.Round(time.Second).String()
			}
			msg += ")"
		}
	}
	if len(back) > 0 {
		b := back[0]
		if i := slices.IndexFunc(back, func(b lockq.Reason) bool { return b.Lock == key }); i >= 0 {
			b = back[i]
		}
		msg += ", " + heldBackText(r.Holder, b, now)
	}
	// The estimate comes last, where run's live view, which appends one
	// to the message stored when the wait began, puts it too.
	if start != "" {
		msg += ", " + start
	}
	return msg
}

// Waiting returns a waiting holder's message as the queues stand at now,
// with its estimated start: the stored message was written when the wait
// began, and positions move as holders ahead are granted or others join
// ahead. False when holder does not wait.
func (m *Manager) Waiting(holder string, now time.Time) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	pos := m.q.Position(holder)
	if pos == nil {
		return "", false
	}
	r := Request{Holder: holder, Locks: make([]spec.LockRef, len(pos))}
	for i, p := range pos {
		r.Locks[i] = spec.LockRef{Key: p.Lock}
	}
	var waited time.Duration
	if since, ok := m.waitSince[holder]; ok {
		waited = now.Sub(since)
	}
	start, _ := m.estimate(holder, now)
	return m.waitingMessage(r, waited, eta.Text(start, now), now), true
}

// Snapshot describes one lock, for status and the CLI.
func (m *Manager) Snapshot(key string) (lockq.LockInfo, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.q.Lock(key)
}

// ReleaseWorkflow ends every hold and wait of a workflow's holders
// (<ns>/<name> and <ns>/<name>/<node>), for a workflow deleted while it was
// not running. It returns the grants that follows.
func (m *Manager) ReleaseWorkflow(ctx context.Context, tx store.Tx, namespace, name string, now time.Time) (_ []domain.Grant, err error) {
	owed, err := m.begin(ctx, tx, now)
	if err != nil {
		return nil, err
	}
	defer func() { m.end(err) }()
	st := m.q.State()
	var holders []string
	for _, h := range st.Holders {
		if k, err := domain.ParseHolderKey(h.Holder); err == nil && k.Of(namespace, name) {
			holders = append(holders, h.Holder)
		}
	}
	for _, w := range st.Waiters {
		if k, err := domain.ParseHolderKey(w.Holder); err == nil && k.Of(namespace, name) {
			holders = append(holders, w.Holder)
		}
	}
	if len(holders) == 0 {
		return owed, nil
	}
	res, err := m.apply(ctx, tx, owed, nil, holders, now)
	if err != nil {
		return nil, err
	}
	return res.Grants, nil
}

// SetLimit sets a database semaphore's limit, stored with the lock, and
// grants what now fits. (ConfigMap semaphores change through Refresh.)
func (m *Manager) SetLimit(ctx context.Context, tx store.Tx, key string, limit int, now time.Time) (_ []domain.Grant, err error) {
	owed, err := m.begin(ctx, tx, now)
	if err != nil {
		return nil, err
	}
	defer func() { m.end(err) }()
	if k, perr := domain.ParseLockKey(key); perr == nil && k.Kind.IsMutex() {
		return nil, fmt.Errorf("%s is a mutex: its limit is always 1", key)
	}
	if err := tx.PutLockLimit(ctx, key, limit); err != nil {
		return nil, err
	}
	gs, err := m.q.SetLimit(key, limit, now)
	if err != nil {
		return nil, err
	}
	grants, err := m.record(ctx, tx, copyGrants(gs), now)
	if err != nil {
		return nil, err
	}
	return append(owed, grants...), nil
}

// Held returns the tokens holder holds, or nil. After a crash a workflow
// may not have recorded a grant the store has: Resume compares the two
// with this.
func (m *Manager) Held(holder string) []domain.Token {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.q.Holding(holder)
}

// Refence gives each of holders that holds locks fresh tokens, higher
// than any handed out (lockq.Queue.Refence), and records them in tx: the
// holders' node was lost, and their work goes on elsewhere under tokens
// that tell it from whatever the lost node left running. Holders that
// hold nothing are skipped. It returns the new tokens as grants, with any
// grants the rebuild owed.
func (m *Manager) Refence(ctx context.Context, tx store.Tx, holders []string, now time.Time) (_ []domain.Grant, err error) {
	owed, err := m.begin(ctx, tx, now)
	if err != nil {
		return nil, err
	}
	defer func() { m.end(err) }()
	out := owed
	for _, h := range holders {
		toks := m.q.Refence(h)
		if toks == nil {
			continue
		}
		for _, t := range toks {
			if err := tx.PutFence(ctx, t.Lock, t.Value); err != nil {
				return nil, err
			}
		}
		// The hold goes on under new tokens: the store keeps its start
		// and template.
		if err := tx.PutHold(ctx, h, toks, store.HoldInfo{Since: now}); err != nil {
			return nil, err
		}
		out = append(out, domain.Grant{Holder: h, Tokens: toks})
	}
	return out, nil
}
