package engine

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/store"
)

// On a shared store (PostgreSQL) several nodes run workflows side by side.
// Each workflow is owned by one node's session and runs there; the lock
// state is one, in the store, and any node's transaction may grant a
// waiter of another node's workflow. What a node must hear of the others:
// grants to its waiters, ConfigMaps and templates applied through another
// node, and sessions whose lease ended (their workflows are adopted). The
// store's notices bring the first two within milliseconds; a slow poll
// catches what a lost notice missed.

// Intervals of the shared-store loop.
const (
	// sharedPoll is the safety net: waiting holders are checked against
	// the store this often even when no notice came.
	sharedPoll = 2 * time.Second
	// adoptPoll is how often sessions are checked for an ended lease.
	adoptPoll = time.Second
)

// sharedState is a node's view of what other nodes may change.
type sharedState struct {
	mu sync.Mutex
	// waiting maps the holders of this node's workflows that wait for
	// locks to their workflow's UID: another node may grant them.
	waiting map[string]string
	// granted are waiting holders a notice said were granted, to check.
	granted map[string]bool
	// objects are keys of objects another node changed, to reload.
	objects map[string]bool
	// workflows are UIDs of workflows another node changed, for this
	// node's watchers.
	workflows map[string]bool
	resync    bool
	kick      chan struct{}
	cancel    context.CancelFunc
	done      chan struct{}
}

func (e *Engine) isShared() bool { return e.sess != nil && e.sess.shared }

// leasePath is where a session's lease end is written for its steps.
func (e *Engine) leasePath(session string) string {
	return filepath.Join(e.dataDir, "leases", session)
}

// startShared listens to the store's notices and starts the loop that
// applies them, adopts the workflows of ended sessions and polls.
func (e *Engine) startShared(ctx context.Context) error {
	sh := e.sess.raw.(store.Shared)
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	notices, err := sh.Listen(ctx)
	if err != nil {
		cancel()
		return err
	}
	e.shared = &sharedState{waiting: map[string]string{}, granted: map[string]bool{}, objects: map[string]bool{},
		workflows: map[string]bool{}, kick: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	go e.listen(notices)
	go e.sharedLoop(ctx)
	return nil
}

// stopShared ends the listener and the loop.
func (e *Engine) stopShared() {
	if e.shared == nil {
		return
	}
	e.shared.cancel()
	<-e.shared.done
}

func (e *Engine) listen(notices <-chan store.Notice) {
	sh, me := e.shared, e.sess.me.ID
	for n := range notices {
		sh.mu.Lock()
		switch {
		case n.Topic == store.TopicResync:
			sh.resync = true
		case n.From == me:
			sh.mu.Unlock()
			continue
		case n.Topic == store.TopicHold:
			if _, ok := sh.waiting[n.Key]; ok {
				sh.granted[n.Key] = true
			}
		case n.Topic == store.TopicObject:
			sh.objects[n.Key] = true
		case n.Topic == store.TopicWorkflow && e.hub.active():
			sh.workflows[n.Key] = true
		default:
			sh.mu.Unlock()
			continue
		}
		sh.mu.Unlock()
		select {
		case sh.kick <- struct{}{}:
		default:
		}
	}
}

// sharedLoop applies notices, polls, and adopts, until ctx ends.
func (e *Engine) sharedLoop(ctx context.Context) {
	sh := e.shared
	defer close(sh.done)
	poll := time.NewTicker(sharedPoll)
	defer poll.Stop()
	adopt := time.NewTicker(adoptPoll)
	defer adopt.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sh.kick:
		case <-poll.C:
			sh.mu.Lock()
			sh.resync = sh.resync || len(sh.waiting) > 0
			sh.mu.Unlock()
		case <-adopt.C:
			if !e.detached.Load() {
				e.adoptEnded(ctx)
			}
			continue
		}
		if e.detached.Load() {
			continue
		}
		e.applyNotices(ctx)
	}
}

// applyNotices delivers grants other nodes made to this node's waiters
// and reloads objects other nodes changed.
func (e *Engine) applyNotices(ctx context.Context) {
	sh := e.shared
	sh.mu.Lock()
	var check []string
	if sh.resync {
		for h := range sh.waiting {
			check = append(check, h)
		}
	} else {
		for h := range sh.granted {
			check = append(check, h)
		}
	}
	objs := make([]string, 0, len(sh.objects))
	for k := range sh.objects {
		objs = append(objs, k)
	}
	wfs := make([]string, 0, len(sh.workflows))
	for uid := range sh.workflows {
		wfs = append(wfs, uid)
	}
	resync := sh.resync
	clear(sh.granted)
	clear(sh.objects)
	clear(sh.workflows)
	sh.resync = false
	sh.mu.Unlock()
	if resync {
		if err := e.objects.load(ctx, e.store); err != nil {
			// Tried again at the next poll, waiters or not: a change
			// missed now would otherwise wait for the next notice.
			e.log.Warn("cannot reload templates and ConfigMaps after missed notices; trying again", "err", err)
			sh.mu.Lock()
			sh.resync = true
			sh.mu.Unlock()
		}
		objs = objs[:0]
		objs = append(objs, e.configMapKeys()...)
	}
	if len(check) > 0 {
		st := e.deliverStored(ctx, check)
		if resync && st != nil {
			// Another node may have closed a cycle whose youngest waiter
			// is this node's: only this node may fail it.
			e.dl.detectStored(st)
		}
	}
	for _, k := range objs {
		e.reloadObject(ctx, k, resync)
	}
	e.publishRemote(ctx, wfs)
}

// publishRemote tells this node's watchers of workflows other nodes
// changed: a client watching through any node sees every workflow.
func (e *Engine) publishRemote(ctx context.Context, uids []string) {
	for _, uid := range uids {
		if !e.hub.active() {
			return
		}
		var wf *wfv1.Workflow
		err := e.store.View(ctx, func(tx store.Tx) error {
			var err error
			wf, err = tx.GetWorkflowByUID(ctx, uid)
			return err
		})
		if err == nil {
			e.hub.publish(Modified, wf)
		}
	}
}

// deliverStored delivers the holds the store records for holders.
func (e *Engine) deliverStored(ctx context.Context, holders []string) *store.LockState {
	var st *store.LockState
	err := e.store.View(ctx, func(tx store.Tx) error {
		var err error
		st, err = tx.LoadLocks(ctx)
		return err
	})
	if err != nil {
		e.log.Warn("cannot read grants made by other nodes; the next poll tries again", "err", err)
		e.shared.mu.Lock()
		for _, h := range holders {
			e.shared.granted[h] = true
		}
		e.shared.mu.Unlock()
		return nil
	}
	var grants []domain.Grant
	for _, h := range holders {
		if toks := st.Holds[h]; len(toks) > 0 {
			grants = append(grants, domain.Grant{Holder: h, Tokens: toks})
		}
	}
	e.deliver(grants)
	return st
}

// configMapKeys are the object keys of every cached ConfigMap.
func (e *Engine) configMapKeys() []string {
	e.objects.mu.RLock()
	defer e.objects.mu.RUnlock()
	out := make([]string, 0, len(e.objects.cms))
	for _, cm := range e.objects.cms {
		out = append(out, (&store.Object{Kind: wfv1.KindConfigMap, Namespace: cm.Metadata.Namespace, Name: cm.Metadata.Name}).Key().String())
	}
	return out
}

// reloadObject re-reads one object another node stored or deleted. A
// ConfigMap's limits apply at once here too: the lock manager re-reads
// them and grants what now fits.
func (e *Engine) reloadObject(ctx context.Context, key string, quiet bool) {
	k, ok := parseObjectKey(key)
	switch {
	case !ok:
		return
	case k.Kind == wfv1.KindCronWorkflow:
		e.cronChanged()
		return
	case k.Kind != wfv1.KindConfigMap && k.Kind != wfv1.KindWorkflowTemplate && k.Kind != wfv1.KindClusterWorkflowTemplate:
		return
	}
	var obj *store.Object
	err := e.store.View(ctx, func(tx store.Tx) error {
		var err error
		obj, err = tx.GetObject(ctx, k)
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		e.objects.remove(k.Kind, k.Namespace, k.Name)
	case err != nil:
		e.log.Warn("cannot reload an object another node changed", "object", key, "err", err)
		return
	default:
		if err := e.objects.put(k.Kind, obj.Doc); err != nil {
			e.log.Warn("another node stored an object this node cannot read", "object", key, "err", err)
			return
		}
	}
	if k.Kind != wfv1.KindConfigMap {
		return
	}
	var grants []domain.Grant
	err = e.store.Update(ctx, func(tx store.Tx) error {
		var err error
		grants, err = e.locks.Refresh(ctx, tx, k.Namespace, k.Name, e.now())
		return err
	})
	if err != nil && !quiet {
		e.log.Warn("cannot apply the limits of a ConfigMap another node changed; the next poll tries again", "object", key, "err", err)
		return
	}
	e.deliver(grants)
}

// parseObjectKey reads store.ObjectKey.String()'s "Kind ns/name".
func parseObjectKey(s string) (store.ObjectKey, bool) {
	kind, rest, ok := strings.Cut(s, " ")
	if !ok {
		return store.ObjectKey{}, false
	}
	ns, name, ok := strings.Cut(rest, "/")
	if !ok || name == "" {
		return store.ObjectKey{}, false
	}
	return store.ObjectKey{Kind: kind, Namespace: ns, Name: name}, true
}

// expectGrants records, before their requests commit, the holders whose
// grant another node may make, so a notice that comes right after the
// commit finds them.
func (e *Engine) expectGrants(uid string, holders []string) {
	if e.shared == nil || len(holders) == 0 {
		return
	}
	e.shared.mu.Lock()
	for _, h := range holders {
		e.shared.waiting[h] = uid
	}
	e.shared.mu.Unlock()
}

// forgetGrants drops holders that are granted, released or given up.
func (e *Engine) forgetGrants(holders ...string) {
	if e.shared == nil || len(holders) == 0 {
		return
	}
	e.shared.mu.Lock()
	for _, h := range holders {
		delete(e.shared.waiting, h)
	}
	e.shared.mu.Unlock()
}

// forgetRunGrants drops every expected grant of a run that ended.
func (e *Engine) forgetRunGrants(uid string) {
	if e.shared == nil {
		return
	}
	e.shared.mu.Lock()
	for h, u := range e.shared.waiting {
		if u == uid {
			delete(e.shared.waiting, h)
		}
	}
	e.shared.mu.Unlock()
}
