package reconcile

import (
	"errors"
	"fmt"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
)

// invocation is what steps and DAG tasks have in common: a template call
// with a condition, a loop, continueOn and exit hooks.
type invocation struct {
	name       string
	tc         tmplCall
	when       string
	loop       loopSpec
	continueOn *wfv1.ContinueOn
	onExit     string
	hooks      map[string]wfv1.LifecycleHook
}

func stepInvocation(s *wfv1.WorkflowStep) invocation {
	return invocation{name: s.Name, when: s.When, continueOn: s.ContinueOn, onExit: s.OnExit, hooks: s.Hooks,
		tc:   tmplCall{Template: s.Template, TemplateRef: s.TemplateRef, Inline: s.Inline, Arguments: s.Arguments},
		loop: loopSpec{items: s.WithItems, param: s.WithParam, sequence: s.WithSequence}}
}

func taskInvocation(t *wfv1.DAGTask) invocation {
	return invocation{name: t.Name, when: t.When, continueOn: t.ContinueOn, onExit: t.OnExit, hooks: t.Hooks,
		tc:   tmplCall{Template: t.Template, TemplateRef: t.TemplateRef, Inline: t.Inline, Arguments: t.Arguments},
		loop: loopSpec{items: t.WithItems, param: t.WithParam, sequence: t.WithSequence}}
}

// site is where an invocation's nodes go.
type site struct {
	parentID, boundaryID string
	ctx                  *tmplCtx
	depth                int
	// limit caps how many of parent's children may be unfinished at once
	// (template parallelism); 0 means no cap.
	limit int64
	// failFast: the boundary's template starts no child once one of
	// its nodes failed (template-level failFast).
	failFast bool
}

// runOne brings one node of an invocation forward. done says whether the
// node and its exit hooks are finished.
func (o *op) runOne(name, display string, inv invocation, scope expr.Scope, at site) (*wfv1.NodeStatus, bool) {
	n := o.byName(name)
	if n == nil {
		if !o.mayStart(call{}) {
			if o.shutdown == "" {
				return nil, false
			}
			n = o.newNode(name, display, NodeSkipped, at.boundaryID, at.parentID)
			o.complete(n, wfv1.PhaseSkipped, "workflow shutdown with strategy: "+o.shutdown)
			return n, true
		}
		if at.limit > 0 && o.activeChildren(at.parentID) >= at.limit {
			return nil, false
		}
		if at.failFast && o.unsuccessful(at.boundaryID) > 0 {
			return nil, false
		}
		// Cheap early exit while spec.parallelism is saturated: resolving
		// and substituting a call that cannot start is wasted work.
		if !o.podSlot() {
			return nil, false
		}
		if inv.when != "" {
			err := checkAbsent(inv.when, scope)
			cond := inv.when
			if err == nil {
				cond, err = expr.Replace(inv.when, scope, false)
			}
			ok := false
			if err == nil {
				ok, err = expr.When(cond)
			}
			if err != nil || !ok {
				n = o.newNode(name, display, NodeSkipped, at.boundaryID, at.parentID)
				if err != nil {
					o.complete(n, wfv1.PhaseError, err.Error())
				} else {
					o.complete(n, wfv1.PhaseSkipped, fmt.Sprintf("when '%s' evaluated false", cond))
				}
				return n, true
			}
		}
	}
	if n == nil || !fulfilled(n) {
		args, err := resolveArtifactExpressions(inv.tc.Arguments, scope)
		if err == nil {
			args, err = substituteArgs(markAbsentArtifactArgs(markAbsentArgs(args, scope), scope), scope)
		}
		if err != nil {
			if n == nil {
				n = o.newNode(name, display, NodePod, at.boundaryID, at.parentID)
			}
			o.complete(n, wfv1.PhaseError, err.Error())
			return n, true
		}
		tc := inv.tc
		tc.Arguments = args
		n = o.execute(call{name: name, displayName: display, tmplCall: tc, ctx: at.ctx,
			parentID: at.parentID, boundaryID: at.boundaryID}, at.depth+1)
		if n == nil {
			return nil, false
		}
	}
	hooksDone := o.runHooks(n, inv, scope, at)
	return n, settled(n) && hooksDone
}

// runHooks runs a step's or task's hooks: its exit hook once the node
// has finished, and every other hook once its expression turns true
// (evaluated on each walk, started at most once). It reports whether
// every hook that started has finished. Nodes are named as Argo names
// them: the exit hook `<node>.onExit`, others `<node>.hooks.<name>`.
func (o *op) runHooks(n *wfv1.NodeStatus, inv invocation, scope expr.Scope, at site) bool {
	if n.Type == NodeSkipped || (inv.onExit == "" && len(inv.hooks) == 0) {
		return true
	}
	type hook struct {
		suffix string
		tc     tmplCall
	}
	sc := withItem(scope, expr.Scope{"workflow.status": wfv1.PhaseRunning})
	// A retried step's hooks read its last attempt's outputs, as in Argo,
	// even when the step failed.
	src := n
	if tries := o.attempts(n); n.Type == NodeRetry && n.Outputs == nil && len(tries) > 0 {
		last := *n
		last.Outputs = tries[len(tries)-1].Outputs
		src = &last
	}
	nodeScope(sc, "steps."+inv.name, src)
	nodeScope(sc, "tasks."+inv.name, src)
	var hooks []hook
	if exit := exitHook(inv); exit != nil && fulfilled(n) && o.exitHookFires(n, exit, sc) {
		hooks = append(hooks, hook{".onExit", tmplCall{Template: exit.Template, TemplateRef: exit.TemplateRef, Arguments: exit.Arguments}})
	}
	names := make([]string, 0, len(inv.hooks))
	for name := range inv.hooks {
		if name != "exit" {
			names = append(names, name)
		}
	}
	sortStrings(names)
	for _, name := range names {
		h := inv.hooks[name]
		suffix := ".hooks." + name
		tc := tmplCall{Template: h.Template, TemplateRef: h.TemplateRef, Arguments: h.Arguments}
		switch {
		case o.byName(n.Name+suffix) != nil:
			hooks = append(hooks, hook{suffix, tc})
		case h.Expression != "":
			if ok, err := expr.EvalBool(h.Expression, sc); err == nil && ok {
				hooks = append(hooks, hook{suffix, tc})
			}
		}
	}
	done := true
	for _, h := range hooks {
		saved := o.exitWalk
		o.exitWalk = o.exitWalk || fulfilled(n)
		hn := o.executeHook(call{name: n.Name + h.suffix, displayName: n.DisplayName + h.suffix, tmplCall: h.tc,
			ctx: at.ctx, parentID: n.ID, boundaryID: at.boundaryID}, sc, at.depth+1)
		o.exitWalk = saved
		if hn == nil && (o.shutdown == "Terminate" || o.abort != "") {
			// Not started, and under Terminate (or a limit met) it never
			// will: no hook node, as in Argo, and nothing to wait for.
			continue
		}
		if hn == nil || !fulfilled(hn) {
			done = false
		}
	}
	return done
}

// exitHookFires says whether a finished node's exit hook runs: once
// started it is followed; else its expression, if any, must be true.
func (o *op) exitHookFires(n *wfv1.NodeStatus, exit *wfv1.LifecycleHook, sc expr.Scope) bool {
	if exit.Expression == "" || o.byName(n.Name+".onExit") != nil {
		return true
	}
	ok, err := expr.EvalBool(exit.Expression, sc)
	return err == nil && ok
}

// exitHook is a step's or task's exit hook: `onExit`, which wins as in
// Argo, else `hooks.exit`.
func exitHook(inv invocation) *wfv1.LifecycleHook {
	if inv.onExit != "" {
		return &wfv1.LifecycleHook{Template: inv.onExit}
	}
	if h, ok := inv.hooks["exit"]; ok {
		return &h
	}
	return nil
}

// mustWait says whether runOne would leave a node of at that does not
// exist yet for later: the workflow may start nothing now (but not
// because it stops: then the node is made, Skipped), or a parallelism is
// full.
func (o *op) mustWait(at site) bool {
	if !o.mayStart(call{}) {
		return o.shutdown == ""
	}
	return (at.limit > 0 && o.activeChildren(at.parentID) >= at.limit) || !o.podSlot() ||
		(at.failFast && o.unsuccessful(at.boundaryID) > 0)
}

// activeChildren counts a parent's unfinished children. It is asked once
// per loop item, so the count is kept (newNode and complete update it)
// rather than recounted.
func (o *op) activeChildren(parentID string) int64 {
	if k, ok := o.kids[parentID]; ok {
		return k
	}
	p := o.nodes[parentID]
	if p == nil {
		return 0
	}
	var k int64
	for _, id := range p.Children {
		if c := o.nodes[id]; c != nil && !fulfilled(c) {
			k++
		}
	}
	if o.kids == nil {
		o.kids = map[string]int64{}
	}
	o.kids[parentID] = k
	return k
}

// emptyLoop is a loop whose list is empty: one Skipped node, as Argo makes
// it. Under a DAG the TaskGroup made before the items were known becomes it.
func (o *op) emptyLoop(base, display string, at site) *wfv1.NodeStatus {
	n := o.byName(base)
	if n == nil {
		n = o.newNode(base, display, NodeSkipped, at.boundaryID, at.parentID)
	} else if n.Type == NodeTaskGroup && !fulfilled(n) {
		n.Type = NodeSkipped
	}
	o.complete(n, wfv1.PhaseSkipped, "Skipped, empty params")
	return n
}

// ranAsLoop says whether a loop's nodes are its items, to be aggregated;
// a loop that made no items has one node named for the step or task,
// which reads like a plain one (Argo's buildLocalScope).
func ranAsLoop(inv invocation, base string, nodes []*wfv1.NodeStatus) bool {
	return inv.loop.isLoop() && (len(nodes) != 1 || nodes[0].Name != base)
}

// runLoop brings every node of an invocation forward under one parent
// (a StepGroup or TaskGroup). It returns the nodes, whether all are done,
// and the first failure that continueOn does not cover.
func (o *op) runLoop(base, display string, inv invocation, scope expr.Scope, at site) ([]*wfv1.NodeStatus, bool, *wfv1.NodeStatus) {
	var items []loopItem
	var names, ids []string
	if inv.loop.isLoop() {
		var err error
		items, names, ids, err = o.expandLoop(base, inv.loop, scope)
		if err != nil {
			var tooMany *loopLimitError
			if errors.As(err, &tooMany) {
				err = errors.New(o.loopLimitMessage(tooMany, at.boundaryID, inv.name))
				o.exceed(err.Error())
			}
			n := o.byName(base)
			if n == nil {
				n = o.newNode(base, display, NodeSkipped, at.boundaryID, at.parentID)
			}
			// Under a DAG, base is the task's TaskGroup, made before its
			// items: it ends here too, never left Running.
			o.complete(n, wfv1.PhaseError, err.Error())
			return []*wfv1.NodeStatus{n}, true, n
		}
		if len(items) == 0 {
			return []*wfv1.NodeStatus{o.emptyLoop(base, display, at)}, true, nil
		}
	} else {
		items = []loopItem{{}}
	}
	var nodes []*wfv1.NodeStatus
	var failed *wfv1.NodeStatus
	all := true
	// A finished item with no hooks needs nothing more: its scope is not
	// built (the old walk built one for every item on every call).
	noHooks := inv.onExit == "" && len(inv.hooks) == 0 && !o.walk.legacy
	// The finished prefix kept from the last call is passed at once, and
	// the walk stops at the first item that cannot start once no later
	// item has a node (loopprefix.go).
	// nodes holds the items' nodes from start on; the prefix's are put
	// before them only if the loop is done, the one case its callers read
	// them.
	kept, start := o.keptLoop(base, names, noHooks, at)
	seen, prefix := start, start
	for i := start; i < len(items); i++ {
		it := items[i]
		var name string
		var existing *wfv1.NodeStatus
		if names != nil {
			name = names[i]
			existing = o.byNameID(name, ids[i])
		} else {
			name = base + it.suffix
			existing = o.byName(name)
		}
		if existing != nil {
			seen++
		}
		if noHooks && existing != nil && fulfilled(existing) {
			nodes = append(nodes, existing)
			if isFailure(existing.Phase) && !continues(inv.continueOn, existing.Phase) && failed == nil {
				failed = existing
			}
			if prefix == i && !isFailure(existing.Phase) {
				prefix++
			}
			continue
		}
		if existing == nil && o.restOfLoopNodeless(kept, at, seen) {
			// Every later item is as this one: unmade, and what stops it
			// stops them all.
			if it.isItem && o.shutdown != "" && !o.mayStart(call{}) {
				break
			}
			if o.mustWait(at) {
				all = false
				break
			}
		}
		if it.isItem && o.shutdown != "" && !o.mayStart(call{}) && existing == nil {
			// Stopping: an item never started stays unmade, rather than
			// each of a large loop's items becoming a Skipped node.
			continue
		}
		if o.mustWait(at) && existing == nil {
			// Cannot start now: skip before building the item's scope,
			// which a large loop would do for every item on every walk.
			all = false
			continue
		}
		sc := scope
		if it.isItem {
			o.countScope()
			sc = withItem(scope, it.scope())
		}
		n, done := o.runOne(name, display+it.suffix, inv, sc, at)
		if n != nil {
			nodes = append(nodes, n)
			if existing == nil && o.nodes[n.ID] == n {
				seen++ // made now, a child of at.parentID
			}
		}
		if !done {
			all = false
			continue
		}
		if isFailure(n.Phase) && !continues(inv.continueOn, n.Phase) && failed == nil {
			failed = n
		}
	}
	o.keepLoop(kept, nodes[:prefix-start], start, at)
	if start > 0 && all {
		nodes = append(append(make([]*wfv1.NodeStatus, 0, start+len(nodes)), kept.kept.nodes[:start]...), nodes...)
	}
	return nodes, all, failed
}
