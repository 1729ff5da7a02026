package reconcile

import (
	"fmt"
	"maps"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
)

// executeSteps runs a steps template: groups one after the other, the
// steps of a group in parallel.
func (o *op) executeSteps(node *wfv1.NodeStatus, tmpl *wfv1.Template, ctx *tmplCtx, scope expr.Scope, depth int) {
	scope = maps.Clone(scope)
	var limit int64
	if tmpl.Parallelism != nil {
		limit = *tmpl.Parallelism
	}
	refs, refsAll := referenced(tmpl, "steps.")
	for i, group := range tmpl.Steps {
		gname := fmt.Sprintf("%s[%d]", node.Name, i)
		g := o.byName(gname)
		if g == nil {
			if !o.mayStart(call{}) && o.shutdown != "" {
				o.complete(node, wfv1.PhaseFailed, "workflow shutdown with strategy: "+o.shutdown)
				return
			}
			g = o.newNode(gname, fmt.Sprintf("[%d]", i), NodeStepGroup, node.ID, node.ID)
		}
		at := site{parentID: g.ID, boundaryID: node.ID, ctx: ctx, depth: depth, limit: limit, failFast: isFailFast(tmpl)}
		allDone := true
		var failed *wfv1.NodeStatus
		for j := range group {
			step := &group[j]
			inv := stepInvocation(step)
			nodes, done, f := o.runLoop(gname+"."+step.Name, step.Name, inv, scope, at)
			if !done {
				allDone = false
			}
			if f != nil && failed == nil {
				failed = f
			}
			if done && (refsAll || refs[step.Name]) {
				loop := ranAsLoop(inv, gname+"."+step.Name, nodes)
				exposeOutputs(scope, "steps."+step.Name, loop, nodes)
				if !loop && len(nodes) == 1 {
					o.skippedOutputs(scope, "steps."+step.Name, inv, ctx, nodes[0])
				}
			}
		}
		if !fulfilled(g) {
			if !allDone {
				return
			}
			if failed != nil {
				o.complete(g, wfv1.PhaseFailed, childFailed(failed))
			} else {
				o.complete(g, wfv1.PhaseSucceeded, "")
			}
		}
		if isFailure(g.Phase) {
			o.setStepsOutbound(node, tmpl)
			o.complete(node, wfv1.PhaseFailed, g.Message)
			return
		}
	}
	o.setStepsOutbound(node, tmpl)
	o.finishParent(node, tmpl, scope)
}

// exposeOutputs puts a finished step's or task's results in scope.
func exposeOutputs(scope expr.Scope, prefix string, loop bool, nodes []*wfv1.NodeStatus) {
	if loop {
		aggregateScope(scope, prefix, nodes)
		return
	}
	if len(nodes) == 1 {
		nodeScope(scope, prefix, nodes[0])
	}
}

// finishParent resolves a steps or DAG template's outputs and completes it.
func (o *op) finishParent(node *wfv1.NodeStatus, tmpl *wfv1.Template, scope expr.Scope) {
	out, err := templateOutputs(tmpl, scope)
	var arts []wfv1.Artifact
	if err == nil {
		arts, err = templateArtifacts(tmpl, scope)
	}
	if err != nil {
		o.complete(node, wfv1.PhaseError, fmt.Sprintf("template %q: %v", tmpl.Name, err))
		return
	}
	if len(arts) > 0 {
		if out == nil {
			out = &wfv1.Outputs{}
		}
		out.Artifacts = arts
	}
	node.Outputs = out
	o.complete(node, wfv1.PhaseSucceeded, "")
}

// templateOutputs evaluates a steps or DAG template's output parameters
// (valueFrom.parameter, valueFrom.expression, value, default).
func templateOutputs(tmpl *wfv1.Template, scope expr.Scope) (*wfv1.Outputs, error) {
	if len(tmpl.Outputs.Parameters) == 0 {
		return nil, nil
	}
	out := &wfv1.Outputs{}
	for _, p := range tmpl.Outputs.Parameters {
		var v string
		var err error
		switch {
		case p.ValueFrom != nil && p.ValueFrom.Parameter != "":
			v, err = expr.Replace(p.ValueFrom.Parameter, scope, true)
		case p.ValueFrom != nil && p.ValueFrom.Expression != "":
			v, err = expr.Eval(p.ValueFrom.Expression, scope)
		case p.Value != nil:
			v, err = expr.Replace(string(*p.Value), scope, true)
		default:
			err = fmt.Errorf("no value")
		}
		if err != nil {
			switch {
			case p.ValueFrom != nil && p.ValueFrom.Default != nil:
				v = string(*p.ValueFrom.Default)
			case p.Default != nil:
				v = string(*p.Default)
			default:
				return nil, fmt.Errorf("outputs.parameters.%s: %w", p.Name, err)
			}
		}
		out.Parameters = append(out.Parameters, wfv1.Parameter{Name: p.Name, Value: ptr(wfv1.AnyString(v)), GlobalName: p.GlobalName})
	}
	return out, nil
}
