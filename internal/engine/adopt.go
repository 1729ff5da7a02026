package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/reconcile"
	"github.com/semaflow/semaflow/internal/store"
)

// adoptEnded takes over the sessions of nodes whose lease ended more than
// the margin ago, and resumes their workflows here.
func (e *Engine) adoptEnded(ctx context.Context) {
	s := e.sess
	// A read every second, a write only when a lease has ended: adopt
	// reads the sessions again in its transaction, and TakeOver spares one
	// renewed meanwhile.
	var list []store.Session
	err := e.store.View(ctx, func(tx store.Tx) error {
		var err error
		list, err = tx.ListSessions(ctx)
		return err
	})
	ended := false
	for _, o := range list {
		ended = ended || s.adoptable(o, time.Now())
	}
	var adopted []adoption
	if err == nil && ended {
		err = e.store.Update(ctx, func(tx store.Tx) error {
			list, err := tx.ListSessions(ctx)
			if err != nil {
				return err
			}
			adopted, err = s.adopt(ctx, tx, list, time.Now())
			return err
		})
	}
	if err != nil {
		e.log.Warn("cannot check other nodes' leases; trying again", "err", err)
		return
	}
	for _, a := range adopted {
		e.logAdoption(a)
		e.resumeAdopted(ctx, a)
	}
}

// resumeShared is Resume on a shared store: the workflows this node took
// over when it started came from other nodes, whose steps are gone.
func (e *Engine) resumeShared(ctx context.Context) []string {
	e.adoptedMu.Lock()
	list := e.adopted
	e.adopted = nil
	e.adoptedMu.Unlock()
	var uids []string
	for _, a := range list {
		uids = append(uids, e.resumeAdopted(ctx, a)...)
	}
	owed := e.owed
	e.owed = nil
	e.deliver(owed)
	e.dl.resumed()
	return uids
}

// resumeAdopted runs here the workflows adopted from a node whose lease
// ended. Its steps died with its lease (their supervisors kill them when
// it ends, and the margin has passed): each step it left running or
// starting is lost, ends Failed and goes to its retryStrategy, as Argo
// treats a pod lost with its node. Locks its workflows held stay held,
// with fresh tokens, higher than any before: work started from here on
// is told from whatever the lost node left behind, and no waiter jumps
// the queue meanwhile.
func (e *Engine) resumeAdopted(ctx context.Context, a adoption) []string {
	var wfs []*wfv1.Workflow
	for _, uid := range a.uids {
		var wf *wfv1.Workflow
		err := e.store.View(ctx, func(tx store.Tx) error {
			var err error
			wf, err = tx.GetWorkflowByUID(ctx, uid)
			return err
		})
		if err != nil {
			// It stays this node's in the store: the next start of this
			// node, or of another after this one's lease, resumes it.
			e.log.Error("cannot read an adopted workflow", "uid", uid, "err", err)
			continue
		}
		wfs = append(wfs, wf)
	}
	grants, err := e.refenceWorkflows(ctx, wfs)
	if err != nil {
		e.log.Error("cannot give adopted workflows fresh lock tokens; their locks keep the old ones", "err", err)
	}
	byWorkflow := map[string][]domain.Grant{}
	for _, g := range grants {
		if h, err := domain.ParseHolderKey(g.Holder); err == nil {
			byWorkflow[h.Namespace+"/"+h.Workflow] = append(byWorkflow[h.Namespace+"/"+h.Workflow], g)
		}
	}
	now := e.now()
	lost := fmt.Sprintf("lost with its node %s (session %s): the node's lease ended at %s and its steps were killed with it",
		a.from.Node, shortID(a.from.ID), a.from.Expires.Local().Format(time.TimeOnly+".000"))
	var uids []string
	for _, wf := range wfs {
		var evs []reconcile.Event
		for _, g := range byWorkflow[wf.Metadata.Namespace+"/"+wf.Metadata.Name] {
			evs = append(evs, reconcile.Event{Kind: reconcile.LockGranted, Holder: g.Holder, Tokens: g.Tokens, At: now})
		}
		for id, n := range wf.Status.Nodes {
			if reconcile.StepInFlight(&n) {
				evs = append(evs, exited(id, &domain.StepResult{ExitCode: -1, Killed: lost, Finished: now}))
			}
		}
		e.expectGrants(wf.Metadata.UID, reconcile.WaitingHolders(wf))
		e.start(wf, evs)
		uids = append(uids, wf.Metadata.UID)
	}
	return uids
}

// refenceWorkflows gives every hold of wfs fresh tokens and returns them,
// with grants the store owed to waiters of wfs.
func (e *Engine) refenceWorkflows(ctx context.Context, wfs []*wfv1.Workflow) ([]domain.Grant, error) {
	if len(wfs) == 0 {
		return nil, nil
	}
	mine := map[string]bool{}
	for _, wf := range wfs {
		mine[wf.Metadata.Namespace+"/"+wf.Metadata.Name] = true
	}
	ofMine := func(holder string) bool {
		h, err := domain.ParseHolderKey(holder)
		return err == nil && mine[h.Namespace+"/"+h.Workflow]
	}
	var out []domain.Grant
	err := e.store.Update(ctx, func(tx store.Tx) error {
		st, err := tx.LoadLocks(ctx)
		if err != nil {
			return err
		}
		var holders []string
		for h := range st.Holds {
			if ofMine(h) {
				holders = append(holders, h)
			}
		}
		gs, err := e.locks.Refence(ctx, tx, holders, e.now())
		out = gs
		return err
	})
	if err != nil {
		return nil, err
	}
	var kept []domain.Grant
	for _, g := range out {
		if ofMine(g.Holder) {
			kept = append(kept, g)
		} else {
			e.deliver([]domain.Grant{g})
		}
	}
	return kept, nil
}
