package reconcile

import (
	"fmt"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
)

// executeSuspend keeps a suspend node Running until it is resumed or its
// duration has passed. Once the duration has passed, its supplied outputs
// that were not set take their defaults; one with no default is an error,
// as in Argo.
func (o *op) executeSuspend(node *wfv1.NodeStatus, tmpl *wfv1.Template, scope expr.Scope) {
	if o.shutdown != "" && !fulfilled(node) {
		// Reached under a stop (an exit handler's suspend): it would wait
		// for a resume that nothing asks for; Argo fails every active
		// suspend node under a shutdown.
		o.complete(node, wfv1.PhaseFailed, "workflow shutdown with strategy: "+o.shutdown)
		return
	}
	if tmpl.Suspend.Duration == "" || node.StartedAt == nil {
		return
	}
	ds, err := expr.Replace(tmpl.Suspend.Duration, scope, true)
	if err != nil {
		o.complete(node, wfv1.PhaseError, err.Error())
		return
	}
	d, err := ParseDuration(ds)
	if err != nil {
		o.complete(node, wfv1.PhaseError, fmt.Sprintf("suspend duration %q: %v", ds, err))
		return
	}
	end := node.StartedAt.Add(d)
	if o.now.Before(end) {
		o.plan.wake(end)
		return
	}
	if err := fillSupplied(node.Outputs); err != nil {
		o.complete(node, wfv1.PhaseError, err.Error())
		return
	}
	o.complete(node, wfv1.PhaseSucceeded, "")
}

// suppliedOutputs puts a new suspend node's supplied output parameters on
// it, still unset, as Argo does: whoever resumes the node may set them,
// and their defaults fill the rest. An output with no default of its own
// takes the default of the input parameter of the same name.
func suppliedOutputs(node *wfv1.NodeStatus, tmpl *wfv1.Template) {
	for _, p := range tmpl.Outputs.Parameters {
		if p.ValueFrom == nil || p.ValueFrom.Supplied == nil {
			continue
		}
		q := wfv1.Parameter{Name: p.Name, GlobalName: p.GlobalName,
			ValueFrom: &wfv1.ValueFrom{Supplied: &wfv1.SuppliedValueFrom{}, Default: p.ValueFrom.Default}}
		if q.ValueFrom.Default == nil {
			for _, in := range tmpl.Inputs.Parameters {
				if in.Name == p.Name && in.Default != nil {
					q.ValueFrom.Default = in.Default
					break
				}
			}
		}
		if node.Outputs == nil {
			node.Outputs = &wfv1.Outputs{}
		}
		node.Outputs.Parameters = append(node.Outputs.Parameters, q)
	}
}

// fillSupplied gives every supplied output that was not set its default,
// or fails (changing nothing) naming the first that has none, in Argo's
// words.
func fillSupplied(out *wfv1.Outputs) error {
	if err := unfillable(out); err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	for i := range out.Parameters {
		p := &out.Parameters[i]
		if p.ValueFrom != nil && p.ValueFrom.Supplied != nil {
			p.Value, p.ValueFrom = p.ValueFrom.Default, nil
		}
	}
	return nil
}

// unfillable names the first supplied output that has neither a value
// nor a default.
func unfillable(out *wfv1.Outputs) error {
	if out == nil {
		return nil
	}
	for _, p := range out.Parameters {
		if p.ValueFrom != nil && p.ValueFrom.Supplied != nil && p.ValueFrom.Default == nil {
			return fmt.Errorf("raw output parameter '%s' has not been set and does not have a default value", p.Name)
		}
	}
	return nil
}

// ResumeBlocked says why a resume must be refused, as Argo refuses it: a
// waiting suspend node has a supplied output with no value nor default.
// The engine asks before it sends a Resume; a Resume that comes anyway
// changes nothing (resumeSuspended).
func ResumeBlocked(wf *wfv1.Workflow) error {
	for _, n := range wf.Status.Nodes {
		if n.Type == NodeSuspend && n.Phase == wfv1.PhaseRunning {
			if err := unfillable(n.Outputs); err != nil {
				return fmt.Errorf("node %s: %w", n.Name, err)
			}
		}
	}
	return nil
}

// resumeSuspended lifts the workflow's suspension and completes its
// waiting suspend nodes, their supplied outputs filled; all or nothing.
func (o *op) resumeSuspended() {
	var waiting []*wfv1.NodeStatus
	for _, n := range o.nodes {
		if n.Type == NodeSuspend && n.Phase == wfv1.PhaseRunning {
			if unfillable(n.Outputs) != nil {
				return
			}
			waiting = append(waiting, n)
		}
	}
	o.wf.Spec.Suspend = nil
	for _, n := range waiting {
		_ = fillSupplied(n.Outputs)
		o.complete(n, wfv1.PhaseSucceeded, "")
	}
}
