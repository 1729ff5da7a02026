package engine

import (
	"sort"
	"strconv"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/reconcile"
	"github.com/semaflow/semaflow/internal/spec"
)

// templateThrottles reports steps and DAG templates whose own parallelism
// holds a child back: as many of the node's children are unfinished as the
// template allows, and a child that could start has no node yet (the
// reconciler makes a child's node only when it starts it). For the whole
// workflow every such node counts; for a target node, only the target.
// Templates reached through templateRef are not in the workflow's spec and
// are not looked at.
func templateThrottles(wf *wfv1.Workflow, target *wfv1.NodeStatus) []Throttle {
	sp := &wf.Spec
	if wf.Status.StoredWorkflowTemplateSpec != nil {
		sp = wf.Status.StoredWorkflowTemplateSpec
	}
	tmpls := make(map[string]*wfv1.Template, len(sp.Templates))
	for i := range sp.Templates {
		tmpls[sp.Templates[i].Name] = &sp.Templates[i]
	}
	byName := make(map[string]wfv1.NodeStatus, len(wf.Status.Nodes))
	looped := map[string]bool{} // names followed by "(" in some node's name: a loop's items are name(0:...)
	ids := make([]string, 0, len(wf.Status.Nodes))
	for id, n := range wf.Status.Nodes {
		byName[n.Name] = n
		ids = append(ids, id)
		for i := range len(n.Name) {
			if n.Name[i] == '(' {
				looped[n.Name[:i]] = true
			}
		}
	}
	sort.Strings(ids)
	started := func(name string) bool {
		_, ok := byName[name]
		return ok || looped[name]
	}
	var out []Throttle
	for _, id := range ids {
		n := wf.Status.Nodes[id]
		if (n.Type != reconcile.NodeSteps && n.Type != reconcile.NodeDAG) || finished(n.Phase) || (target != nil && target.ID != id) {
			continue
		}
		t := tmpls[n.TemplateName]
		if t == nil || t.Parallelism == nil || *t.Parallelism <= 0 {
			continue
		}
		parent, ready := n, false
		if n.Type == reconcile.NodeSteps {
			// The limit is on the running group's children.
			if len(n.Children) == 0 {
				continue
			}
			g, ok := wf.Status.Nodes[n.Children[len(n.Children)-1]]
			i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(g.Name, n.Name+"["), "]"))
			if !ok || err != nil || i < 0 || i >= len(t.Steps) || finished(g.Phase) {
				continue
			}
			parent = g
			for _, s := range t.Steps[i] {
				ready = ready || !started(g.Name+"."+s.Name)
			}
		} else if t.DAG != nil {
			for _, task := range t.DAG.Tasks {
				ready = ready || (!started(n.Name+"."+task.Name) && depsDone(byName, n.Name, task))
			}
		}
		var running []string
		for _, c := range parent.Children {
			if cn, ok := wf.Status.Nodes[c]; ok && !finished(cn.Phase) {
				running = append(running, c)
			}
		}
		if !ready || int64(len(running)) < *t.Parallelism {
			continue
		}
		sort.Strings(running)
		out = append(out, Throttle{Kind: "template-parallelism", Limit: *t.Parallelism, Running: running, Template: t.Name, Node: id})
	}
	return out
}

// depsDone says whether every task a DAG task depends on has finished.
func depsDone(byName map[string]wfv1.NodeStatus, dag string, task wfv1.DAGTask) bool {
	deps := task.Dependencies
	if task.Depends != "" {
		e, err := spec.ParseDepends(task.Depends)
		if err != nil {
			return false
		}
		deps = e.Tasks()
	}
	for _, d := range deps {
		if n, ok := byName[dag+"."+d]; !ok || !finished(n.Phase) {
			return false
		}
	}
	return true
}

func finished(phase string) bool {
	switch phase {
	case wfv1.PhaseSucceeded, wfv1.PhaseFailed, wfv1.PhaseError, wfv1.PhaseSkipped, wfv1.PhaseOmitted:
		return true
	}
	return false
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
