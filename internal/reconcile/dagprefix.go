package reconcile

import (
	"github.com/semaflow/semaflow/api/wfv1"
)

// What a DAG's walk keeps in its shape across calls, so that a call
// visits the tasks that can change, not all of them: the template-derived
// facts (which tasks the template reads outputs of, from which task on
// every task is "plain"), and the finished prefix: the leading tasks that
// ended, with nothing left to run after them, as the last call left them.
//
// The prefix stands only while the kept node state (nodecache.go) is the
// one it was computed on: the same nodes, changed since only by the
// walk, which never reopens a finished node. The template facts are kept
// by the template's identity: a running workflow's spec is not edited in
// place (the engine changes only spec.shutdown and spec.suspend).
type dagKept struct {
	tmpl      *wfv1.Template
	ntasks    int
	refs      map[string]bool
	refsAll   bool
	plainFrom int
	// prefix counts the leading finished tasks, on state for node.
	prefix int
	state  *nodeState
	node   string
}

// referenced is referenced(tmpl, "tasks.") kept by the template.
func (s *dagShape) referenced(tmpl *wfv1.Template) (map[string]bool, bool) {
	k := &s.kept
	if k.tmpl != tmpl || k.ntasks != len(tmpl.DAG.Tasks) || k.refs == nil {
		k.refs, k.refsAll = referenced(tmpl, "tasks.")
		k.tmpl, k.ntasks = tmpl, len(tmpl.DAG.Tasks)
		k.plainFrom = plainFrom(s, tmpl.DAG.Tasks)
		k.state = nil
	}
	return k.refs, k.refsAll
}

// plainFrom is the first index from which every task is plain: no
// dependency and no loop, so that when one of them cannot start for a
// reason outside it (parallelism, a stop, failFast), none of the others
// can either.
func plainFrom(s *dagShape, tasks []wfv1.DAGTask) int {
	from := len(tasks)
	for i := len(tasks) - 1; i >= 0; i-- {
		if len(s.depTasks[i]) > 0 || s.deps[i].Op != "&&" || len(s.deps[i].Operands) > 0 ||
			taskInvocation(&tasks[i]).loop.isLoop() {
			break
		}
		from = i
	}
	return from
}

// incremental says whether this walk may use the kept prefix and stop
// early: with a kept node state, no target, and task names unique (so a
// task's index is its position).
func (d *dagRun) incremental(tmpl *wfv1.Template) bool {
	return d.o.state != nil && !d.o.walk.legacy && tmpl.DAG.Target == "" && len(d.shape.index) == len(d.order)
}

// keptPrefix is how many leading tasks are known finished from the last
// call, 0 when that is not known.
func (d *dagRun) keptPrefix(tmpl *wfv1.Template) int {
	k := &d.shape.kept
	d.inc = d.incremental(tmpl)
	if !d.inc || k.tmpl != tmpl || k.state != d.o.state || k.node != d.node.ID {
		return 0
	}
	return k.prefix
}

// keepPrefix extends the finished prefix past start for the next call: a
// task counts when its node ended and nothing can follow it (no hooks,
// not a loop's group), and when a walk would have nothing to do for it
// but mark it done (its outputs are not read, it fails nothing).
func (d *dagRun) keepPrefix(tmpl *wfv1.Template, start int) {
	k := &d.shape.kept
	if !d.incremental(tmpl) || k.tmpl != tmpl {
		k.state = nil
		return
	}
	i := start
	for ; i < len(d.order); i++ {
		name := d.order[i]
		t := &d.list[i]
		n := d.nodeOf(name)
		if n == nil || !fulfilled(n) || t.OnExit != "" || len(t.Hooks) > 0 || n.Type == NodeTaskGroup ||
			d.refsAll || d.refs[name] || d.failsDAG(name, n) {
			break
		}
	}
	k.prefix, k.state, k.node = i, d.o.state, d.node.ID
}

// restBlocked says that task i and every task after it would do nothing
// on this pass: they are plain, none has a node yet (seen of the tasks
// before i have one, and every task node is a child of the DAG node), and
// task i could not start for a reason none of them can change: the DAG's
// failFast, or what makes runOne wait (mustWait).
func (d *dagRun) restBlocked(i, seen int, at site, failFast bool) bool {
	if !d.restNodeless(i, seen) {
		return false
	}
	return (failFast && d.failed) || d.o.mustWait(at)
}

// restNodeless says that task i and those after it are plain and have no
// node.
func (d *dagRun) restNodeless(i, seen int) bool {
	return d.inc && i >= d.shape.kept.plainFrom && seen == len(d.node.Children)
}
