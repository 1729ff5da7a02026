package locks

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/store"
)

// Group commits the lock operations of one engine's callers together
// (group commit). While a transaction of the group runs, the operations
// asked for queue; the next transaction takes them all. An operation
// asked for while none runs goes at once, alone, so an idle engine waits
// for nothing. Under load one claim, at most one rebuild and one commit
// serve many operations: on PostgreSQL every node's lock decisions wait
// for the claim's row lock from the claim to the commit, and a real
// server's commit waits for its disk, so one hot lock shared by several
// nodes can only grant more than once per commit this way.
type Group struct {
	m      *Manager
	s      store.Store
	now    func() time.Time
	others func([]domain.Grant)
	follow Follow

	mu      sync.Mutex
	queue   []*call
	leading bool
}

// maxGroup bounds the operations one transaction takes: a longer
// transaction holds every node's lock decisions longer.
const maxGroup = 128

// Op is one caller's lock operation: releases (or cancelled waits), then
// requests, as Apply takes them. An Op with neither only writes (With):
// a workflow's change that shares the group's commit with others.
type Op struct {
	Requests []Request
	Releases []string
	// With, if set, runs in the same transaction after the operation,
	// given its result: the caller's own writes that must commit with it
	// (the workflow whose step asked). It may run more than once, when a
	// batch it was in rolled back because another operation failed: only
	// the run whose transaction commits counts. It must not call the
	// group.
	With func(tx store.Tx, res *Result) error
}

type call struct {
	op   Op
	res  *Result
	err  error
	done chan struct{}
	// lead is signalled when this call is first in the queue and the
	// transaction before it ended: it runs the next one.
	lead chan struct{}
}

// NewGroup makes a group of m's operations on s; now is the clock they
// are decided at. others hears, after each commit, the grants it made to
// holders of no operation in it (waiters queued earlier, of this node or
// another): their callers learn of them as of any other transaction's
// grants. It is called on the goroutine of the commit, before the
// callers of that transaction return.
func NewGroup(m *Manager, s store.Store, now func() time.Time, others func([]domain.Grant)) *Group {
	return &Group{m: m, s: s, now: now, others: others}
}

// Follow runs inside a transaction of the group, after all its
// operations, with the grants that transaction made to holders of no
// operation in it (those others would hear of). It may write in tx what
// a granted holder's owner would commit next (the step the grant lets
// start, recorded Pending), so that a handoff takes one transaction, not
// two. It returns the holders whose grants it took: others hears only of
// the rest. done, when not nil, is called once the transaction ended,
// with nil if it committed, else with why not: then the grants never
// happened, and whatever Follow changed in memory for them must be
// undone (the group goes again, and may grant again). An error from
// Follow rolls the whole transaction back. It must not call the group.
type Follow func(tx store.Tx, grants []domain.Grant) (took []string, done func(err error), err error)

// Follow sets the group's Follow; call it before the group's first use.
func (g *Group) Follow(f Follow) { g.follow = f }

// Queued is how many operations wait for the next transaction.
func (g *Group) Queued() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.queue)
}

// Do runs op in the group's next transaction and returns its result once
// that transaction committed. An error says op's changes did not commit;
// when the commit itself failed, as store.Update says, that may not be
// known. The transaction runs under the context of the caller that
// happens to run it: callers waiting for it wait regardless of theirs.
func (g *Group) Do(ctx context.Context, op Op) (*Result, error) {
	c := &call{op: op, done: make(chan struct{}), lead: make(chan struct{}, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, c)
	if g.leading {
		g.mu.Unlock()
		select {
		case <-c.done:
			return c.res, c.err
		case <-c.lead:
		}
		g.mu.Lock()
	}
	// The queue is empty whenever no call leads, and the lead goes to
	// the first queued call: c is first.
	g.leading = true
	n := min(len(g.queue), maxGroup)
	batch := slices.Clone(g.queue[:n])
	g.queue = slices.Clone(g.queue[n:])
	g.mu.Unlock()

	g.run(ctx, batch)

	g.mu.Lock()
	if len(g.queue) > 0 {
		g.queue[0].lead <- struct{}{}
	} else {
		g.leading = false
	}
	g.mu.Unlock()
	return c.res, c.err
}

// run commits batch in one transaction. An operation that fails on its
// own (its With) gets its error and the rest go again without it; a
// failure of the store or the commit is every operation's. Each round
// ends one operation at least, so there are at most len(batch) rounds.
func (g *Group) run(ctx context.Context, batch []*call) {
	for len(batch) > 0 {
		failed, others, err := g.attempt(ctx, batch)
		if err == nil {
			if len(others) > 0 && g.others != nil {
				g.others(others)
			}
			for _, c := range batch {
				close(c.done)
			}
			return
		}
		if failed < 0 || len(batch) == 1 {
			for _, c := range batch {
				c.res, c.err = nil, err
				close(c.done)
			}
			return
		}
		c := batch[failed]
		c.res, c.err = nil, err
		close(c.done)
		batch = slices.Delete(batch, failed, failed+1)
	}
}

// attempt runs batch in one transaction: each run of operations that
// name distinct holders as one Apply (a holder named twice starts a new
// run, so its operations keep their order), then their Withs. failed is
// the operation whose With failed, or -1.
func (g *Group) attempt(ctx context.Context, batch []*call) (failed int, others []domain.Grant, err error) {
	failed = -1
	var followed func(error)
	defer func() {
		if followed != nil {
			followed(err)
		}
	}()
	err = g.s.Update(ctx, func(tx store.Tx) error {
		now := g.now()
		// Operations that only write go first: on PostgreSQL their
		// statements then run before the claim takes the generation row,
		// not while every node's lock decisions wait for it.
		for i, c := range batch {
			if !writesOnly(c.op) {
				continue
			}
			c.res = &Result{Waiting: map[string]string{}, Failed: map[string]string{}}
			if c.op.With != nil {
				if err := c.op.With(tx, c.res); err != nil {
					failed = i
					return err
				}
			}
		}
		for start := 0; start < len(batch); {
			end := start + 1
			seen := map[string]bool{}
			mark(seen, batch[start].op)
			for end < len(batch) && !names(seen, batch[end].op) {
				mark(seen, batch[end].op)
				end++
			}
			seg := batch[start:end]
			var reqs []Request
			var rels []string
			whose := map[string]*Result{}
			for _, c := range seg {
				if writesOnly(c.op) {
					continue
				}
				reqs = append(reqs, c.op.Requests...)
				rels = append(rels, c.op.Releases...)
				c.res = &Result{Waiting: map[string]string{}, Failed: map[string]string{}}
				for _, r := range c.op.Requests {
					whose[r.Holder] = c.res
				}
			}
			// A segment of operations that only write leaves the lock
			// state alone: no claim, no rebuild.
			res := &Result{}
			if len(reqs)+len(rels) > 0 {
				var err error
				if res, err = g.m.Apply(ctx, tx, reqs, rels, now); err != nil {
					return err
				}
			}
			// A grant to a holder of an earlier run of this batch comes
			// after that run's operation was told it waits: it goes
			// with the others, as another transaction's grant would.
			for _, gr := range res.Grants {
				if r, ok := whose[gr.Holder]; ok {
					r.Grants = append(r.Grants, gr)
				} else {
					others = append(others, gr)
				}
			}
			for h, msg := range res.Waiting {
				whose[h].Waiting[h] = msg
			}
			for h, why := range res.Failed {
				whose[h].Failed[h] = why
			}
			for i, c := range seg {
				if c.op.With == nil || writesOnly(c.op) {
					continue
				}
				if err := c.op.With(tx, c.res); err != nil {
					failed = start + i
					return err
				}
			}
			start = end
		}
		if g.follow == nil || len(others) == 0 {
			return nil
		}
		took, done, err := g.follow(tx, others)
		followed = done
		if err != nil {
			return err
		}
		if len(took) > 0 {
			others = slices.DeleteFunc(others, func(gr domain.Grant) bool { return slices.Contains(took, gr.Holder) })
		}
		return nil
	})
	if err != nil {
		others = nil
	}
	return failed, others, err
}

// writesOnly says op has no lock operation, only its writes.
func writesOnly(op Op) bool { return len(op.Requests)+len(op.Releases) == 0 }

func mark(seen map[string]bool, op Op) {
	for _, r := range op.Requests {
		seen[r.Holder] = true
	}
	for _, h := range op.Releases {
		seen[h] = true
	}
}

// names says whether op names a holder in seen.
func names(seen map[string]bool, op Op) bool {
	for _, r := range op.Requests {
		if seen[r.Holder] {
			return true
		}
	}
	for _, h := range op.Releases {
		if seen[h] {
			return true
		}
	}
	return false
}
