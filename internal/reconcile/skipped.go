package reconcile

import (
	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
)

// skippedOutputs exposes, for a step or task that was skipped or omitted
// and so produced nothing, the output parameters its template declares
// with a valueFrom.default, as Argo does: a consumer (an argument, a
// withParam, a when) reads the producer's default. An output without one
// stays unset, so a reference to it fails as before.
func (o *op) skippedOutputs(scope expr.Scope, prefix string, inv invocation, ctx *tmplCtx, n *wfv1.NodeStatus) {
	if n == nil || n.Outputs != nil || (n.Phase != wfv1.PhaseSkipped && n.Phase != wfv1.PhaseOmitted) {
		return
	}
	tmpl, _, err := o.resolve(call{tmplCall: inv.tc, ctx: ctx})
	if err != nil {
		return // a template that cannot be found has no outputs to default
	}
	for _, p := range tmpl.Outputs.Parameters {
		if p.ValueFrom != nil && p.ValueFrom.Default != nil {
			scope[prefix+".outputs.parameters."+p.Name] = string(*p.ValueFrom.Default)
		}
	}
}
