package engine

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/reconcile"
)

// guardReconcile runs one reconcile of wf with events; a panic in it
// ends that workflow in Error naming the panic (reconcile.Crashed, once
// its running steps have exited), with the stack logged, rather than the
// server, which would panic again on every restart as it resumed the
// workflow. crashed says the reconcile panicked: what it kept of wf no
// longer stands.
func guardReconcile(log *slog.Logger, wf *wfv1.Workflow, events []reconcile.Event, now time.Time, f func() *reconcile.Plan) (plan *reconcile.Plan, crashed bool) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		msg := fmt.Sprintf("internal error: reconcile panicked: %v", r)
		log.Error("reconcile panicked: the workflow ends in Error",
			"workflow", wf.Metadata.Namespace+"/"+wf.Metadata.Name, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		plan, crashed = reconcile.Crashed(wf, events, msg, now), true
	}()
	return f(), false
}
