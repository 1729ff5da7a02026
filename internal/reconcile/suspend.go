package reconcile

import (
	"fmt"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
)

// executeSuspend keeps a suspend node Running until it is resumed or its
// duration has passed.
func (o *op) executeSuspend(node *wfv1.NodeStatus, tmpl *wfv1.Template, scope expr.Scope) {
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
	o.complete(node, wfv1.PhaseSucceeded, "")
}
