package engine

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/reconcile"
)

// guardReconcile runs one reconcile of wf; a panic in it ends that
// workflow in Error naming the panic, with the stack logged, rather than
// the server, which would panic again on every restart as it resumed the
// workflow.
func guardReconcile(log *slog.Logger, wf *wfv1.Workflow, now time.Time, f func() *reconcile.Plan) (plan *reconcile.Plan) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		msg := fmt.Sprintf("internal error: reconcile panicked: %v", r)
		log.Error("reconcile panicked: the workflow ends in Error",
			"workflow", wf.Metadata.Namespace+"/"+wf.Metadata.Name, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		plan = reconcile.Crashed(wf, msg, now)
	}()
	return f()
}
