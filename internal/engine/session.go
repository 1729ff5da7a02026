package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/store"
)

// DefaultLeaseTTL is how long a session's lease lasts without renewal;
// an engine renews it every third of that.
const DefaultLeaseTTL = 15 * time.Second

// DefaultLeaseMargin is how long, on a shared store, other nodes wait
// past a lease's end before they adopt its workflows and hand its permits
// on: time for the lost node's supervisors, which kill their steps when
// the lease ends, to have done so, and for the nodes' clocks to differ.
const DefaultLeaseMargin = 5 * time.Second

// SessionConfig makes an engine hold a session in its store (see
// store.Session): it refuses to start while another engine's session is
// live, takes over one whose lease expired, renews its own lease while it
// runs and fences itself if it finds the lease lost.
type SessionConfig struct {
	// Kind, Host, PID, Process and Addr describe this engine to those it
	// turns away (see store.Session).
	Kind, Host, Process, Addr string
	PID                       int
	// Node is the engine's node name (store.Session.Node).
	Node string
	// TTL is the lease; 0 means DefaultLeaseTTL.
	TTL time.Duration
	// Margin is how long past another node's lease a node on a shared
	// store waits before adopting its workflows; 0 means
	// DefaultLeaseMargin. Unused on a store of one engine.
	Margin time.Duration
	// Dead says whether a session's process is known to be gone (on this
	// host, no such process): its lease need not be waited out. nil
	// means leases alone decide.
	Dead func(store.Session) bool
}

// ErrStoreOwned means another engine's session is live on the store.
var ErrStoreOwned = errors.New("the store is in use by another engine")

// OwnedError names the engine that holds the store.
type OwnedError struct{ Owner store.Session }

func (e *OwnedError) Error() string {
	return fmt.Sprintf("the store is in use by %s", describeSession(e.Owner))
}

func (e *OwnedError) Unwrap() error { return ErrStoreOwned }

// NodeNameError means another live session on a shared store has this
// node's name: requests for its workflows go by node name, so two live
// nodes may not share one.
type NodeNameError struct {
	Node  string
	Owner store.Session
}

func (e *NodeNameError) Error() string {
	return fmt.Sprintf("node name %q is taken by %s, whose lease ends at %s: another node runs under this name, "+
		"or this node restarted before its last lease ended; wait until then or give another --node-name",
		e.Node, describeSession(e.Owner), e.Owner.Expires.Local().Format(time.TimeOnly))
}

// LostError says this engine's session was taken over (or closed) by
// another engine: it fenced itself.
type LostError struct {
	Session store.Session
	// Owners are the sessions the store holds now, when they could be read.
	Owners []store.Session
	Err    error
}

func (e *LostError) Error() string {
	by := "unknown"
	if len(e.Owners) > 0 {
		names := make([]string, len(e.Owners))
		for i, o := range e.Owners {
			names[i] = describeSession(o)
		}
		by = strings.Join(names, " and ")
	}
	return fmt.Sprintf("this semaflow %s lost its session (%s, lease %s): another engine took over the store after that lease expired (the store's engines now: %s) "+
		"(was this process stopped or starved?); it granted nothing since, killed its running steps and exits: "+
		"its workflows are the other engine's now", e.Session.Kind, shortID(e.Session.ID), ttlOf(e.Session), by)
}

func (e *LostError) Unwrap() error { return e.Err }

func describeSession(s store.Session) string {
	d := fmt.Sprintf("semaflow %s (pid %d on host %s, since %s", s.Kind, s.PID, s.Host, s.Started.Local().Format(time.DateTime+" MST"))
	if s.Addr != "" {
		d += ", listening on " + s.Addr
	}
	return d + ")"
}

func shortID(id string) string { return id[:min(len(id), 8)] }

func ttlOf(s store.Session) time.Duration { return s.Expires.Sub(s.Started).Round(time.Millisecond) }

// session is the engine's claim on its store.
type session struct {
	me   store.Session
	ttl  time.Duration
	raw  store.Store // unbound: renewals check the session themselves
	dead func(store.Session) bool
	// shared says the store is shared by several nodes (store.Shared):
	// other sessions may be live, and one whose lease ended is adopted
	// only margin after that end, whatever is known of its process.
	shared bool
	margin time.Duration
	// leaseFile is where the lease's end is written for this session's
	// step supervisors (shared stores only), which kill their steps when
	// it passes.
	leaseFile string
	// pending says the session could not be recorded (the disk is full):
	// the engine writes only while no other engine's session is live, and
	// records its own as soon as it can.
	pending atomic.Bool
	// until is the lease's end as this engine last renewed it (unix ns).
	until atomic.Int64
	// healthy is since when (unix ns) the lease has held without a gap:
	// a node adopts others only after a whole TTL of it, so that one
	// coming back from an outage that every node went through does not
	// take over the others, who come back a moment later.
	healthy   atomic.Int64
	stop      chan struct{}
	done      chan struct{}
	lost      chan struct{}
	lostOnce  sync.Once
	lostErr   error
	closeOnce sync.Once
}

// openSession records this engine's session, in one write transaction
// with the check that no other engine's is live, so two engines racing to
// start cannot both win. Sessions whose lease expired, or whose process is
// dead, are taken over: what they owned becomes this session's.
func (e *Engine) openSession(ctx context.Context, raw store.Store, c SessionConfig) error {
	ttl := c.TTL
	if ttl <= 0 {
		ttl = DefaultLeaseTTL
	}
	now := time.Now()
	_, shared := raw.(store.Shared)
	margin := c.Margin
	if margin <= 0 {
		margin = DefaultLeaseMargin
	}
	s := &session{ttl: ttl, raw: raw, dead: c.Dead, shared: shared, margin: margin, stop: make(chan struct{}), done: make(chan struct{}), lost: make(chan struct{}),
		me: store.Session{ID: newUID(), Kind: c.Kind, Node: c.Node, Host: c.Host, PID: c.PID, Process: c.Process, Addr: c.Addr, Started: now, Expires: now.Add(ttl)}}
	if shared {
		s.dead = nil // a dead process's supervisors may still run: only leases count
		s.leaseFile = e.leasePath(s.me.ID)
		if err := os.MkdirAll(filepath.Dir(s.leaseFile), 0o700); err != nil {
			return fmt.Errorf("making the directory of this node's lease: %w", err)
		}
	}
	err := e.recordSession(ctx, s)
	if store.NoSpace(err) && !shared {
		// A full disk must not keep a server from starting: it serves
		// reads and answers 507 until space returns. The check that no
		// other engine holds the store needs no room.
		if err := raw.View(ctx, func(tx store.Tx) error { return s.noLiveOwner(ctx, tx, time.Now()) }); err != nil {
			return err
		}
		s.pending.Store(true)
		e.log.Warn("the disk is full: this engine's session cannot be recorded yet; it writes only while no other engine holds the store, and records its session once space returns",
			"session", s.me.ID, "err", err)
	} else if err != nil {
		return err
	}
	e.sess = s
	e.store = &boundStore{Store: raw, s: s, lost: e.fence}
	return nil
}

// recordSession writes the session, taking over those that ended.
func (e *Engine) recordSession(ctx context.Context, s *session) error {
	var taken []store.Session
	var moved []string
	var adopted []adoption
	var until time.Time
	err := s.raw.Update(ctx, func(tx store.Tx) error {
		now := time.Now()
		list, err := tx.ListSessions(ctx)
		if err != nil {
			return err
		}
		taken = nil
		for _, o := range list {
			// A sync session (sync set --db) is no node: it runs nothing,
			// and it takes the host name as a server does by default.
			if s.shared && o.Node == s.me.Node && o.Expires.After(now) && o.Kind != "sync" && s.me.Kind != "sync" {
				return &NodeNameError{Node: o.Node, Owner: o}
			}
			if s.shared || !s.live(o, now) {
				continue
			}
			return &OwnedError{Owner: o}
		}
		// s.me is shared with readers: the lease's end goes to s.until.
		me := s.me
		me.Expires = now.Add(s.ttl)
		if err := tx.OpenSession(ctx, me); err != nil {
			return err
		}
		until = me.Expires
		if s.shared {
			// Ended sessions are adopted by the loop, once this one has
			// held its lease a whole TTL (see healthy).
			return nil
		}
		taken = list
		moved, err = tx.TakeOver(ctx, s.me.ID, list)
		return err
	})
	if err != nil {
		return err
	}
	if err := s.publishLease(until); err != nil {
		return err
	}
	s.until.Store(until.UnixNano())
	s.healthy.Store(time.Now().UnixNano())
	e.adoptedMu.Lock()
	e.adopted = append(e.adopted, adopted...)
	e.adoptedMu.Unlock()
	for _, a := range adopted {
		e.logAdoption(a)
	}
	for _, o := range taken {
		why := "its lease expired at " + o.Expires.Local().Format(time.TimeOnly)
		if o.Expires.After(s.me.Started) {
			why = "its process is gone"
		}
		e.log.Info(fmt.Sprintf("took over from %s: %s", describeSession(o), why), "session", s.me.ID, "workflows", len(moved))
	}
	return nil
}

// adoption is what a node on a shared store took over from one whose
// lease ended: the workflows it moved to itself, not yet resumed.
type adoption struct {
	from store.Session
	uids []string
}

// adopt takes over, in tx, every session of list that is adoptable, one
// by one so each workflow is known to come from its session. Another node
// adopting the same session at once moves nothing: the store lets one
// win.
func (s *session) adopt(ctx context.Context, tx store.Tx, list []store.Session, now time.Time) ([]adoption, error) {
	var out []adoption
	for _, o := range list {
		if !s.adoptable(o, now) {
			continue
		}
		uids, err := tx.TakeOver(ctx, s.me.ID, []store.Session{o})
		if err != nil {
			return nil, err
		}
		out = append(out, adoption{from: o, uids: uids})
	}
	return out, nil
}

func (e *Engine) logAdoption(a adoption) {
	e.log.Info(fmt.Sprintf("adopted the workflows of node %s, %s: its lease ended at %s",
		a.from.Node, describeSession(a.from), a.from.Expires.Local().Format(time.TimeOnly+".000")),
		"workflows", len(a.uids))
}

// adoptable says whether another node's session o, on a shared store, is
// past its lease and the margin: its steps are dead, and what it owned
// may be adopted.
func (s *session) adoptable(o store.Session, now time.Time) bool {
	return o.ID != s.me.ID && now.After(o.Expires.Add(s.margin)) && s.steady(now)
}

// steady says whether this session's own lease holds now and has held
// for a whole TTL: only then does it judge others by theirs.
func (s *session) steady(now time.Time) bool {
	return now.UnixNano() < s.until.Load() && now.Sub(time.Unix(0, s.healthy.Load())) >= s.ttl
}

// publishLease tells this session's step supervisors until when the lease
// holds. Only after the store recorded it: a supervisor must never believe
// in a lease longer than the one other nodes go by.
func (s *session) publishLease(until time.Time) error {
	if s.leaseFile == "" {
		return nil
	}
	if err := executor.WriteLease(s.leaseFile, until); err != nil {
		return fmt.Errorf("writing the lease for this node's steps: %w", err)
	}
	return nil
}

// live says whether another engine's session o still holds the store.
func (s *session) live(o store.Session, now time.Time) bool {
	return o.ID != s.me.ID && o.Expires.After(now) && (s.dead == nil || !s.dead(o))
}

// noLiveOwner fails with an *OwnedError if another engine's session is
// live.
func (s *session) noLiveOwner(ctx context.Context, tx store.Tx, now time.Time) error {
	list, err := tx.ListSessions(ctx)
	if err != nil {
		return err
	}
	for _, o := range list {
		if s.live(o, now) {
			return &OwnedError{Owner: o}
		}
	}
	return nil
}

// boundStore binds every write transaction to the engine's session, so
// that an engine whose session was taken over cannot write, and fences
// the engine when it finds that.
type boundStore struct {
	store.Store
	s    *session
	lost func(error)
}

func (b *boundStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	err := b.Store.Update(ctx, func(tx store.Tx) error {
		if b.s.pending.Load() {
			// Not recorded yet: this engine may write only while no other
			// engine holds the store.
			if err := b.s.noLiveOwner(ctx, tx, time.Now()); err != nil {
				return fmt.Errorf("%w: %w", store.ErrSessionLost, err)
			}
		} else if err := tx.BindSession(ctx, b.s.me.ID); err != nil {
			return err
		}
		return fn(tx)
	})
	if errors.Is(err, store.ErrSessionLost) {
		b.lost(err)
	}
	return err
}

// renewLoop renews the lease every third of its TTL until the session is
// closed or lost.
func (e *Engine) renewLoop() {
	s := e.sess
	defer close(s.done)
	t := time.NewTicker(s.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-s.lost:
			return
		case <-t.C:
		}
		_ = e.renewLease()
	}
}

// renewLease pushes the lease forward. A lease that expired while no one
// took the store over is renewed, and the engine goes on; one that is
// gone fences the engine.
func (e *Engine) renewLease() error {
	s := e.sess
	if s.pending.Load() {
		return e.recordPending()
	}
	now := time.Now()
	until := now.Add(s.ttl)
	ctx := context.Background()
	renew := func(tx store.Tx) error { return tx.RenewSession(ctx, s.me.ID, until) }
	err := s.raw.Update(ctx, renew)
	if e.releaseReserve(err, "this engine's lease") {
		err = s.raw.Update(ctx, renew)
	}
	switch {
	case errors.Is(err, store.ErrSessionLost):
		e.fence(err)
		return err
	case err != nil:
		e.log.Warn("cannot renew this engine's lease; retrying", "session", s.me.ID,
			"expires", time.Unix(0, s.until.Load()).Local().Format(time.TimeOnly), "err", err)
		return err
	}
	if err := s.publishLease(until); err != nil {
		// The steps go by the last lease they read: they are killed when
		// it ends unless a later renewal can write it.
		e.log.Warn("cannot tell this node's steps that its lease was renewed", "session", s.me.ID, "err", err)
	}
	if prev := time.Unix(0, s.until.Load()); now.After(prev) {
		s.healthy.Store(now.UnixNano())
		e.log.Warn(fmt.Sprintf("this engine's lease expired %s ago (was the process stopped or starved?); no other engine took the store over, so the lease is renewed and the engine goes on",
			now.Sub(prev).Round(time.Millisecond)), "session", s.me.ID)
	}
	for {
		old := s.until.Load()
		if until.UnixNano() <= old || s.until.CompareAndSwap(old, until.UnixNano()) {
			return nil
		}
	}
}

// recordPending records a session the full disk kept from being written.
func (e *Engine) recordPending() error {
	s := e.sess
	err := e.recordSession(context.Background(), s)
	var owned *OwnedError
	switch {
	case errors.As(err, &owned):
		e.fence(fmt.Errorf("%w: %w", store.ErrSessionLost, err))
		return store.ErrSessionLost
	case err != nil:
		return err
	}
	s.pending.Store(false)
	e.log.Info("this engine's session is recorded: the disk has room again", "session", s.me.ID)
	return nil
}

// leaseHeld says whether this engine may act on what it owns (start a
// step): its lease has not expired, or a renewal just succeeded. A store
// that refuses the renewal for a while (a full disk) gives errLease, and
// the caller retries; a lost session gives errDetached.
func (e *Engine) leaseHeld() error {
	s := e.sess
	if s == nil {
		return nil
	}
	if e.fenced.Load() {
		return errDetached
	}
	if s.pending.Load() {
		// No lease to go by: start only while no other engine holds the
		// store.
		ctx := context.Background()
		err := s.raw.View(ctx, func(tx store.Tx) error { return s.noLiveOwner(ctx, tx, time.Now()) })
		var owned *OwnedError
		if errors.As(err, &owned) {
			e.fence(fmt.Errorf("%w: %w", store.ErrSessionLost, err))
			return errDetached
		}
		if err != nil {
			return fmt.Errorf("%w: %w", errLease, err)
		}
		return nil
	}
	if time.Now().UnixNano() < s.until.Load() {
		return nil
	}
	if err := e.renewLease(); err != nil {
		if errors.Is(err, store.ErrSessionLost) {
			return errDetached
		}
		return fmt.Errorf("%w: %w", errLease, err)
	}
	return nil
}

// errLease means the lease expired and could not be renewed yet.
var errLease = errors.New("this engine's lease expired and could not be renewed")

// fence stops this engine for good once its session is lost: nothing is
// written or started any more, each workflow's loop kills its running
// steps and ends, and Lost is closed.
func (e *Engine) fence(cause error) {
	s := e.sess
	if s == nil {
		return
	}
	s.lostOnce.Do(func() {
		e.fenced.Store(true)
		e.detached.Store(true)
		e.stopTransfers()
		lost := &LostError{Session: s.me, Err: cause}
		ctx := context.Background()
		_ = s.raw.View(ctx, func(tx store.Tx) error {
			var err error
			lost.Owners, err = tx.ListSessions(ctx)
			return err
		})
		s.lostErr = lost
		e.log.Error(lost.Error(), "session", s.me.ID)
		if s.leaseFile != "" {
			// The supervisors kill every step of this node at once.
			if err := executor.WriteLease(s.leaseFile, time.Now()); err != nil {
				e.log.Error("cannot end the lease of this node's steps; they are killed one by one", "err", err)
			}
		}
		close(s.lost)
		if e.shared != nil {
			e.shared.cancel()
		}
		go e.wakeRuns()
	})
}

// Lost is closed when the engine fenced itself; LostErr then says why.
// Without a session it is never closed.
func (e *Engine) Lost() <-chan struct{} {
	if e.sess == nil {
		return nil
	}
	return e.sess.lost
}

// LostErr is why the engine fenced itself, or nil.
func (e *Engine) LostErr() error {
	if e.sess == nil || !e.fenced.Load() {
		return nil
	}
	<-e.sess.lost
	return e.sess.lostErr
}

// Fenced says whether the engine found its session lost.
func (e *Engine) Fenced() bool { return e.fenced.Load() }

// SessionID is the ID of the engine's recorded session, or "" without
// one (or while a full disk keeps it from being recorded).
func (e *Engine) SessionID() string {
	if e.sess == nil || e.sess.pending.Load() {
		return ""
	}
	return e.sess.me.ID
}

// CloseSession stops renewing the lease and, unless it was lost, removes
// the session: the next engine starts at once. Call it after Drain.
func (e *Engine) CloseSession(ctx context.Context) error {
	s := e.sess
	if s == nil {
		return nil
	}
	var err error
	s.closeOnce.Do(func() {
		e.stopShared()
		close(s.stop)
		<-s.done
		if e.fenced.Load() || s.pending.Load() {
			return
		}
		err = s.raw.Update(ctx, func(tx store.Tx) error {
			if s.shared {
				// Another node adopts what this one leaves unfinished once
				// the lease has run out (its steps are dead by then):
				// the session stays until then.
				list, _, err := tx.ListWorkflows(ctx, store.ListOptions{Session: s.me.ID, Limit: 1,
					Phases: []string{"", wfv1.PhasePending, wfv1.PhaseRunning}})
				if err != nil || len(list) > 0 {
					return err
				}
			}
			return tx.CloseSession(ctx, s.me.ID)
		})
	})
	return err
}
