package reconcile

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/spec"
)

// SelectorError is a retry or set request that cannot be used: its node
// field selector does not parse, names an unknown field, or matches no
// node, or a -p parameter is not NAME=VALUE.
type SelectorError struct{ Err error }

func (e *SelectorError) Error() string { return e.Err.Error() }
func (e *SelectorError) Unwrap() error { return e.Err }

// nodeFields are the keys of Argo's node field selectors.
func nodeFields(n *wfv1.NodeStatus) func(string) (string, bool) {
	return func(key string) (string, bool) {
		switch key {
		case "displayName":
			return n.DisplayName, true
		case "name":
			return n.Name, true
		case "id":
			return n.ID, true
		case "phase":
			return n.Phase, true
		case "templateName":
			if n.TemplateRef != nil {
				return n.TemplateRef.Template, true
			}
			return n.TemplateName, true
		case "templateRef.name", "templateRef.template":
			if n.TemplateRef == nil {
				return "", false
			}
			if key == "templateRef.name" {
				return n.TemplateRef.Name, true
			}
			return n.TemplateRef.Template, true
		}
		if name, ok := inputParamKey(key); ok && n.Inputs != nil {
			for _, p := range n.Inputs.Parameters {
				if p.Name == name {
					return paramValue(p), true
				}
			}
		}
		return "", false
	}
}

// inputParamKey reads `inputs.parameters.<NAME>.value`.
func inputParamKey(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, "inputs.parameters.")
	if !ok {
		return "", false
	}
	name, ok := strings.CutSuffix(rest, ".value")
	return name, ok && name != ""
}

func knownNodeField(key string) error {
	switch key {
	case "displayName", "name", "id", "phase", "templateName", "templateRef.name", "templateRef.template":
		return nil
	}
	if _, ok := inputParamKey(key); ok {
		return nil
	}
	return fmt.Errorf("field %q is not a node field (use displayName, name, id, phase, templateName, templateRef.name, templateRef.template or inputs.parameters.<NAME>.value)", key)
}

// restartSet is what a retry with --restart-successful runs again: the
// nodes the selector matches, what ran after them (the later step groups
// of a steps template, the tasks of a DAG that depend on them, at every
// level up to the workflow), and everything inside those. As in Argo, work
// that came after a restarted node is not kept: it may have used its
// outputs.
func restartSet(wf *wfv1.Workflow, parent map[string]string, selector string, res Resolver) (map[string]bool, error) {
	sel, err := spec.ParseSelector(selector, knownNodeField)
	if err != nil {
		return nil, &SelectorError{Err: fmt.Errorf("node %w", err)}
	}
	nodes := wf.Status.Nodes
	restart := map[string]bool{}
	for id, n := range nodes {
		if sel.Matches(nodeFields(&n)) {
			restart[id] = true
		}
	}
	if len(restart) == 0 {
		return nil, &SelectorError{Err: fmt.Errorf("node field selector %q matches no node of workflow %s", selector, wf.Metadata.Name)}
	}
	queue := slices.Collect(maps.Keys(restart))
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for cur, p := id, parent[id]; p != ""; cur, p = p, parent[p] {
			for _, d := range after(wf, nodes[p], cur, res) {
				if !restart[d] {
					restart[d] = true
					queue = append(queue, d)
				}
			}
		}
	}
	// Everything inside a restarted node goes with it.
	for queue = slices.Collect(maps.Keys(restart)); len(queue) > 0; queue = queue[1:] {
		for _, c := range nodes[queue[0]].Children {
			if !restart[c] {
				restart[c] = true
				queue = append(queue, c)
			}
		}
	}
	return restart, nil
}

// after lists the children of group p that ran after its child cur and
// may have used what cur produced.
func after(wf *wfv1.Workflow, p wfv1.NodeStatus, cur string, res Resolver) []string {
	switch p.Type {
	case NodeSteps:
		if i := slices.Index(p.Children, cur); i >= 0 {
			return p.Children[i+1:]
		}
	case NodeDAG:
		return dagDependents(wf, p, cur, res)
	}
	return nil
}

// dagDependents lists the tasks of DAG node p that depend, directly or
// not, on its task node cur. When the DAG's template cannot be found
// (an inline template), every task started after cur is taken instead:
// running too much again is better than keeping a stale result.
func dagDependents(wf *wfv1.Workflow, p wfv1.NodeStatus, cur string, res Resolver) []string {
	nodes := wf.Status.Nodes
	byTask := map[string]string{}
	for _, c := range p.Children {
		byTask[nodes[c].DisplayName] = c
	}
	tmpl := nodeTemplate(wf, &p, res)
	if tmpl == nil || tmpl.DAG == nil {
		var out []string
		start := nodes[cur].StartedAt
		for _, c := range p.Children {
			if s := nodes[c].StartedAt; c != cur && (start == nil || s == nil || !s.Before(*start)) {
				out = append(out, c)
			}
		}
		return out
	}
	users := map[string][]string{} // task -> tasks that depend on it
	for i := range tmpl.DAG.Tasks {
		t := &tmpl.DAG.Tasks[i]
		e, err := dependsOf(t)
		if err != nil || e == nil {
			continue
		}
		for _, dep := range e.Tasks() {
			users[dep] = append(users[dep], t.Name)
		}
	}
	var out []string
	seen := map[string]bool{}
	todo := []string{nodes[cur].DisplayName}
	for len(todo) > 0 {
		task := todo[0]
		todo = todo[1:]
		for _, u := range users[task] {
			if seen[u] {
				continue
			}
			seen[u] = true
			todo = append(todo, u)
			if id, ok := byTask[u]; ok {
				out = append(out, id)
			}
		}
	}
	return out
}

// nodeTemplate finds the template a node ran, from its name and scope or
// its templateRef; nil for an inline template.
func nodeTemplate(wf *wfv1.Workflow, n *wfv1.NodeStatus, res Resolver) *wfv1.Template {
	ns := wf.Metadata.Namespace
	find := func(ts []wfv1.Template, name string) *wfv1.Template {
		c := tmplCtx{templates: ts}
		return c.lookup(name)
	}
	fromTemplate := func(name string, cluster bool, tmpl string) *wfv1.Template {
		if res == nil {
			return nil
		}
		if wt := res.WorkflowTemplate(ns, name, cluster); wt != nil {
			return find(wt.Spec.Templates, tmpl)
		}
		return nil
	}
	if r := n.TemplateRef; r != nil {
		return fromTemplate(r.Name, r.ClusterScope, r.Template)
	}
	if n.TemplateName == "" {
		return nil
	}
	if name, ok := strings.CutPrefix(n.TemplateScope, "namespaced/"); ok {
		return fromTemplate(name, false, n.TemplateName)
	}
	if name, ok := strings.CutPrefix(n.TemplateScope, "cluster/"); ok {
		return fromTemplate(name, true, n.TemplateName)
	}
	return find(effectiveSpec(wf).Templates, n.TemplateName)
}

// ancestors lists the nodes that contain any of ids and are not in ids:
// the groups a retry reopens around restarted nodes.
func ancestors(parent map[string]string, ids map[string]bool) map[string]bool {
	out := map[string]bool{}
	for id := range ids {
		for p := parent[id]; p != "" && !ids[p] && !out[p]; p = parent[p] {
			out[p] = true
		}
	}
	return out
}

// parents maps each node to the node that lists it as a child.
func parents(nodes map[string]wfv1.NodeStatus) map[string]string {
	parent := map[string]string{}
	for id, n := range nodes {
		for _, c := range n.Children {
			parent[c] = id
		}
	}
	return parent
}
