package reconcile

import (
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
	"github.com/semaflow/semaflow/internal/spec"
)

// dagRun is one walk over a DAG template.
type dagRun struct {
	o    *op
	node *wfv1.NodeStatus
	// list is the template's tasks; shape what is derived from them
	// (dagshape.go), order their names.
	list  []wfv1.DAGTask
	shape *dagShape
	order []string
	scope expr.Scope
	// done: the task node and its hooks finished, by the task's index.
	done []bool
	// handle: failure of the task is tested by some depends.
	handle map[string]bool
	// failed is set once a finished task failed in a way neither
	// continueOn nor another task's depends expects.
	failed bool
	// refs are the tasks whose outputs the template reads.
	refs    map[string]bool
	refsAll bool
	// ctx resolves the tasks' templates.
	ctx *tmplCtx
	// inc: this walk may use what the shape keeps across calls
	// (dagprefix.go).
	inc bool
}

// executeDAG starts every task whose dependencies are satisfied, omits
// those whose depends condition turned false, and decides the DAG's phase
// from its target tasks once nothing more can run.
func (o *op) executeDAG(node *wfv1.NodeStatus, tmpl *wfv1.Template, ctx *tmplCtx, scope expr.Scope, depth int) {
	shape, err := o.shapeOf(node, tmpl.DAG.Tasks)
	if err != nil {
		var te *taskDependsError
		msg := err.Error()
		if errors.As(err, &te) {
			msg = fmt.Sprintf("task %q: depends: %v", te.task, te.err)
		}
		o.complete(node, wfv1.PhaseError, msg)
		return
	}
	d := &dagRun{o: o, node: node, list: tmpl.DAG.Tasks, shape: shape, order: shape.names, handle: shape.handle,
		scope: maps.Clone(scope), done: make([]bool, len(shape.names)), ctx: ctx}
	d.refs, d.refsAll = shape.referenced(tmpl)
	targets, set, err := d.targets(tmpl.DAG.Target)
	if err != nil {
		o.complete(node, wfv1.PhaseError, err.Error())
		return
	}
	failFast := tmpl.DAG.FailFast == nil || *tmpl.DAG.FailFast
	var limit int64
	if tmpl.Parallelism != nil {
		limit = *tmpl.Parallelism
	}
	at := site{parentID: node.ID, boundaryID: node.ID, ctx: ctx, depth: depth, limit: limit, failFast: isFailFast(tmpl)}
	// The finished prefix kept from the last call is done, as the first
	// pass would find it (dagprefix.go).
	start := d.keptPrefix(tmpl)
	for i := range start {
		d.done[i] = true
	}
	for pass := 0; pass <= len(d.order); pass++ {
		progress := start > 0 && pass == 0
		seen := start
		for i := start; i < len(d.order); i++ {
			name := d.order[i]
			if !set[name] || d.isDone(name) {
				if d.nodeOf(name) != nil {
					seen++
				}
				continue
			}
			if d.restBlocked(i, seen, at, failFast) {
				break
			}
			if d.step(name, at, failFast) {
				progress = true
			}
			if d.nodeOf(name) != nil {
				seen++
			}
		}
		if !progress {
			break
		}
	}
	active, finished := false, true
	seen := start
	for i := start; i < len(d.order); i++ {
		name := d.order[i]
		if !set[name] {
			continue
		}
		if d.restNodeless(i, seen) {
			finished = false
			break
		}
		if !d.isDone(name) {
			finished = false
			if n := d.nodeOf(name); n != nil {
				active = true
			}
		}
		if d.nodeOf(name) != nil {
			seen++
		}
	}
	d.keepPrefix(tmpl, start)
	if !finished && (active || !failFast || !d.failed) {
		return
	}
	d.setOutbound(targets)
	if phase, msg := d.phase(targets); isFailure(phase) {
		o.complete(node, phase, msg)
		return
	}
	if !finished {
		o.complete(node, wfv1.PhaseFailed, "a task failed and failFast stopped the DAG")
		return
	}
	o.finishParent(node, tmpl, d.scope)
}

func (d *dagRun) nodeName(task string) string {
	if i, ok := d.shape.index[task]; ok {
		return d.shape.nodeNames[i]
	}
	return d.node.Name + "." + task
}

// nodeOf is the node of a task, nil before it has one.
func (d *dagRun) nodeOf(task string) *wfv1.NodeStatus {
	if i, ok := d.shape.index[task]; ok {
		return d.o.byNameID(d.shape.nodeNames[i], d.shape.ids[i])
	}
	return d.o.byName(d.node.Name + "." + task)
}

// task is a task by name, nil if there is none.
func (d *dagRun) task(name string) *wfv1.DAGTask {
	if i, ok := d.shape.index[name]; ok {
		return &d.list[i]
	}
	return nil
}

// dep is a task's depends expression.
func (d *dagRun) dep(name string) *spec.DependsExpr {
	if i, ok := d.shape.index[name]; ok {
		return d.shape.deps[i]
	}
	return nil
}

// depTasks is the tasks a task's depends names. A name that is no task
// (lint refuses a depends naming one) has none; the walk before the
// DAG's shape was kept dereferenced its missing expression instead.
func (d *dagRun) depTasks(name string) []string {
	if i, ok := d.shape.index[name]; ok {
		return d.shape.depTasks[i]
	}
	return nil
}

func (d *dagRun) isDone(name string) bool {
	i, ok := d.shape.index[name]
	return ok && d.done[i]
}

// step brings one task forward; it reports whether the task finished.
func (d *dagRun) step(name string, at site, failFast bool) bool {
	o := d.o
	t := d.task(name)
	n := d.nodeOf(name)
	if n != nil && fulfilled(n) && t.OnExit == "" && len(t.Hooks) == 0 && n.Type != NodeTaskGroup {
		// Finished, with nothing left to run after it: the common case on
		// every walk of a large DAG, so it skips the general path.
		d.finishTask(name, []*wfv1.NodeStatus{n}, false)
		return true
	}
	inv := taskInvocation(t)
	if n == nil {
		for _, dep := range d.depTasks(name) {
			if !d.isDone(dep) {
				return false
			}
		}
		if !d.eval(d.dep(name)) {
			n = o.newNode(d.nodeName(name), name, NodeSkipped, d.node.ID, d.node.ID)
			o.complete(n, wfv1.PhaseOmitted, "omitted: depends condition not met")
			d.finishTask(name, []*wfv1.NodeStatus{n}, false)
			return true
		}
		if failFast && d.failed {
			return false
		}
	}
	var nodes []*wfv1.NodeStatus
	var done bool
	if inv.loop.isLoop() {
		g := n
		if g == nil {
			if !o.mayStart(call{}) && o.shutdown == "" {
				return false
			}
			g = o.newNode(d.nodeName(name), name, NodeTaskGroup, d.node.ID, d.node.ID)
		}
		var failed *wfv1.NodeStatus
		gat := at
		gat.parentID = g.ID
		nodes, done, failed = o.runLoop(g.Name, name, inv, d.scope, gat)
		if done && !fulfilled(g) {
			if failed != nil {
				o.complete(g, failed.Phase, childFailed(failed))
			} else {
				o.complete(g, wfv1.PhaseSucceeded, "")
			}
		}
	} else {
		var one *wfv1.NodeStatus
		one, done = o.runOne(d.nodeName(name), name, inv, d.scope, at)
		if one != nil {
			nodes = []*wfv1.NodeStatus{one}
		}
	}
	if !done {
		return false
	}
	d.finishTask(name, nodes, ranAsLoop(inv, d.nodeName(name), nodes))
	return true
}

func (d *dagRun) finishTask(name string, nodes []*wfv1.NodeStatus, loop bool) {
	d.done[d.shape.index[name]] = true
	exposed := d.refsAll || d.refs[name]
	if exposed {
		exposeOutputs(d.scope, "tasks."+name, loop, nodes)
		if !loop && len(nodes) == 1 {
			d.o.skippedOutputs(d.scope, "tasks."+name, taskInvocation(d.task(name)), d.ctx, nodes[0])
		}
	}
	if n := d.nodeOf(name); n != nil {
		if exposed {
			d.scope["tasks."+name+".status"] = n.Phase
			d.scope["tasks."+name+".id"] = n.ID
		}
		if d.failsDAG(name, n) {
			d.failed = true
		}
	}
}

// failsDAG says the task's node n failed in a way neither its continueOn
// nor another task's depends expects.
func (d *dagRun) failsDAG(name string, n *wfv1.NodeStatus) bool {
	return isFailure(n.Phase) && !continues(d.task(name).ContinueOn, n.Phase) && !d.handle[name]
}

// dependsOf turns `depends` or the older `dependencies` list into one
// expression.
func dependsOf(t *wfv1.DAGTask) (*spec.DependsExpr, error) {
	if t.Depends != "" {
		return spec.ParseDepends(t.Depends)
	}
	e := &spec.DependsExpr{Op: "&&"}
	for _, dep := range t.Dependencies {
		e.Operands = append(e.Operands, &spec.DependsExpr{Op: "task", Task: dep})
	}
	return e, nil
}

func markHandled(e *spec.DependsExpr, handled map[string]bool) {
	if e.Op == "task" && e.Result != "" && e.Result != "Succeeded" {
		handled[e.Task] = true
	}
	for _, x := range e.Operands {
		markHandled(x, handled)
	}
}

// eval evaluates a depends expression over finished tasks.
func (d *dagRun) eval(e *spec.DependsExpr) bool {
	switch e.Op {
	case "!":
		return !d.eval(e.Operands[0])
	case "&&":
		for _, x := range e.Operands {
			if !d.eval(x) {
				return false
			}
		}
		return true
	case "||":
		for _, x := range e.Operands {
			if d.eval(x) {
				return true
			}
		}
		return false
	}
	n := d.nodeOf(e.Task)
	if n == nil {
		return false
	}
	switch e.Result {
	case "":
		return n.Phase == wfv1.PhaseSucceeded || n.Phase == wfv1.PhaseSkipped ||
			(n.Daemoned != nil && *n.Daemoned) || continues(d.task(e.Task).ContinueOn, n.Phase)
	case "Errored":
		return n.Phase == wfv1.PhaseError
	case "Daemoned":
		return n.Daemoned != nil && *n.Daemoned
	case "AnySucceeded", "AllFailed":
		any, all := false, len(n.Children) > 0
		for _, id := range n.Children {
			c := d.o.nodes[id]
			any = any || (c != nil && c.Phase == wfv1.PhaseSucceeded)
			all = all && c != nil && c.Phase == wfv1.PhaseFailed
		}
		if e.Result == "AnySucceeded" {
			return any
		}
		return all
	}
	return n.Phase == e.Result
}

// targets returns the target tasks and every task they need.
func (d *dagRun) targets(target string) ([]string, map[string]bool, error) {
	if target == "" {
		return d.shape.targets, d.shape.set, nil
	}
	set := map[string]bool{}
	var targets []string
	t, err := expr.Replace(target, d.scope, true)
	if err != nil {
		return nil, nil, fmt.Errorf("dag target: %w", err)
	}
	var add func(string)
	add = func(name string) {
		if set[name] {
			return
		}
		set[name] = true
		for _, dep := range d.depTasks(name) {
			add(dep)
		}
	}
	for _, name := range strings.FieldsFunc(t, func(r rune) bool { return r == ' ' || r == ',' }) {
		if d.task(name) == nil {
			return nil, nil, fmt.Errorf("dag target %q is not a task", name)
		}
		targets = append(targets, name)
		add(name)
	}
	return targets, set, nil
}

// phase decides a finished DAG's phase from its targets: a failed target
// fails it, and an omitted target counts as the worst of the tasks it
// depended on.
func (d *dagRun) phase(targets []string) (string, string) {
	memo := map[string]*wfv1.NodeStatus{}
	var worst func(name string, depth int) *wfv1.NodeStatus
	worst = func(name string, depth int) *wfv1.NodeStatus {
		if n, ok := memo[name]; ok {
			return n
		}
		n := d.nodeOf(name)
		if n != nil && n.Phase == wfv1.PhaseOmitted && depth < len(d.order) {
			var w *wfv1.NodeStatus
			for _, dep := range d.depTasks(name) {
				if c := worst(dep, depth+1); c != nil && isFailure(c.Phase) && w == nil {
					w = c
				}
			}
			n = w
		}
		memo[name] = n
		return n
	}
	for _, name := range targets {
		n := worst(name, 0)
		if n == nil || !isFailure(n.Phase) {
			continue
		}
		own := d.nodeOf(name)
		if own == n && continues(d.task(name).ContinueOn, n.Phase) {
			continue
		}
		return n.Phase, childFailed(n)
	}
	return wfv1.PhaseSucceeded, ""
}
