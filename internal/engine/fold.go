package engine

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/reconcile"
	"github.com/semaflow/semaflow/internal/store"
)

// A lock handoff used to take two transactions: the holder's release
// with the grant, then the granted workflow's round that records its
// step Pending. The lock group's Follow (followGrants) folds that second
// round into the first transaction when the granted workflow is idle:
// it reconciles the grant there, writes the round with the release, and
// launches the step once that one commit is done. The step is still
// stored Pending before it is spawned, and if the transaction rolls
// back, the grant never happened: the workflow is put back as it was.

// maxFoldNodes bounds the workflows a handoff folds: undoing a fold
// needs a copy of the workflow taken before it, which a large one makes
// dearer than the transaction it saves.
const maxFoldNodes = 200

// fold is one granted workflow's round made inside the transaction of
// its grant.
type fold struct {
	r       *run
	plan    *reconcile.Plan
	holders []string
	// before is r.wf as it was, to put back if the transaction rolls
	// back; first is r.first then.
	before []byte
	first  bool
}

// errFold marks a folded workflow's own write failing: that workflow is
// folded no more, so that it cannot keep failing the transactions of
// the workflows that release to it.
type errFold struct {
	r   *run
	err error
}

func (e errFold) Error() string { return e.err.Error() }
func (e errFold) Unwrap() error { return e.err }

// followGrants is the lock group's Follow: it folds the rounds of the
// idle workflows among grants' holders into the transaction tx.
func (e *Engine) followGrants(tx store.Tx, grants []domain.Grant) ([]string, func(error), error) {
	// Several nodes: a grant's workflow may run on another node, and
	// grants are expected there (expectGrants); they go as before.
	if e.shared != nil || e.detached.Load() {
		return nil, nil, nil
	}
	byRun := map[*run][]domain.Grant{}
	var order []*run
	for _, g := range grants {
		r := e.runOfHolder(g.Holder)
		if r == nil {
			continue
		}
		if _, ok := byRun[r]; !ok {
			order = append(order, r)
		}
		byRun[r] = append(byRun[r], g)
	}
	var folds []*fold
	done := func(err error) { e.folded(folds, err) }
	var took []string
	for _, r := range order {
		f, err := r.fold(tx, byRun[r])
		if f != nil {
			folds = append(folds, f)
			took = append(took, f.holders...)
		}
		if err != nil {
			return nil, done, err
		}
	}
	if len(folds) == 0 {
		return nil, nil, nil
	}
	return took, done, nil
}

// fold makes r's round for grants in tx, if r is idle and the round only
// records steps to launch; nil means r was left alone, and the grants
// go to it after the commit as any other's.
func (r *run) fold(tx store.Tx, grants []domain.Grant) (*fold, error) {
	r.mu.Lock()
	if r.active || r.finished || r.dirty || len(r.pending) > 0 || r.noFold {
		r.mu.Unlock()
		return nil, nil
	}
	// r is this goroutine's to drive now: events that come meanwhile
	// queue, and whoever ends the fold drives on or lets go.
	r.active = true
	r.mu.Unlock()
	if len(r.wf.Status.Nodes) > maxFoldNodes || isEnded(r.wf.Status.Phase) {
		r.letGo()
		return nil, nil
	}
	before, err := json.Marshal(r.wf)
	if err != nil {
		r.letGo()
		return nil, nil
	}
	f := &fold{r: r, before: before, first: r.first}
	now := r.e.now()
	events := make([]reconcile.Event, len(grants))
	for i, g := range grants {
		events[i] = reconcile.Event{Kind: reconcile.LockGranted, Holder: g.Holder, Tokens: g.Tokens, At: now}
		f.holders = append(f.holders, g.Holder)
	}
	r.renewTransfers()
	plan, whole := r.apply(events, now)
	if !foldable(plan) || isEnded(r.wf.Status.Phase) {
		// More than a launch (locks to take or release, steps to kill,
		// the workflow ending): the round is left to r's own goroutine,
		// as before.
		if err := f.undo(); err != nil {
			return nil, err
		}
		r.letGo()
		return nil, nil
	}
	f.plan = plan
	if err := r.writes(context.Background(), plan, events, whole, now)(tx, nil); err != nil {
		return f, errFold{r: r, err: err}
	}
	return f, nil
}

// foldable says a round decided nothing but launches and node changes.
func foldable(p *reconcile.Plan) bool {
	return len(p.Acquire)+len(p.Release)+len(p.Kill)+len(p.Memo) == 0 && !p.Done
}

// folded ends the folds of a transaction: committed (err nil), each
// workflow goes on from its stored round, launching its steps, on a
// goroutine of its own; rolled back, each is put back as it was.
func (e *Engine) folded(folds []*fold, err error) {
	if err == nil {
		e.writeSucceeded()
		var holders []string
		for _, f := range folds {
			holders = append(holders, f.holders...)
		}
		e.forgetGrants(holders...)
		e.hub.locks.signal()
		e.dl.changed()
		for _, f := range folds {
			go f.r.driveFrom(f.plan)
		}
		return
	}
	var own errFold
	mine := errors.As(err, &own)
	for _, f := range folds {
		if uerr := f.undo(); uerr != nil {
			// Cannot happen for JSON this process wrote; were it to, the
			// workflow's memory no longer matches the store, and the
			// store is the authority: this engine stops driving it.
			e.log.Error("cannot undo a lock grant that rolled back", "workflow", f.r.wf.Metadata.Namespace+"/"+f.r.wf.Metadata.Name, "err", uerr)
			f.r.mu.Lock()
			f.r.noFold = true
			f.r.mu.Unlock()
			go f.r.stop()
			continue
		}
		if mine && own.r == f.r {
			f.r.mu.Lock()
			f.r.noFold = true
			f.r.mu.Unlock()
		}
		f.r.letGo()
	}
}

// undo puts r.wf back as it was before the fold.
func (f *fold) undo() error {
	var wf wfv1.Workflow
	if err := json.Unmarshal(f.before, &wf); err != nil {
		return err
	}
	*f.r.wf = wf
	// What the reconcile keeps is of the rolled-back round.
	f.r.cache.Reset()
	f.r.first = f.first
	return nil
}

// driveFrom finishes a round stored by another workflow's transaction,
// then drives r as its own goroutine would.
func (r *run) driveFrom(plan *reconcile.Plan) {
	if r.e.detached.Load() || !r.committed(context.Background(), plan, nil) {
		r.stop()
		return
	}
	r.drive()
}

// letGo ends a fold's hold on r: events that came meanwhile start its
// goroutine.
func (r *run) letGo() {
	r.mu.Lock()
	r.active = false
	if r.dirty {
		r.kickLocked()
	}
	r.mu.Unlock()
}
