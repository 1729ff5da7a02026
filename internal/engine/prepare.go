package engine

import "github.com/semaflow/semaflow/internal/reconcile"

// prepareLaunches has the executor make the directories of the steps a
// round launches while the round is being stored (executor.Local.Prepare).
// A data or HTTP step has no tmp or work to make.
func (r *run) prepareLaunches(launches []reconcile.Launch) {
	p, ok := r.e.exec.(interface{ Prepare(dir string) })
	if !ok {
		return
	}
	for i := range launches {
		l := &launches[i]
		if l.Data != nil || l.Template.HTTP != nil {
			continue
		}
		if dir, err := r.e.stepDir(r.wf.Metadata.UID, l.NodeID); err == nil {
			p.Prepare(dir)
		}
	}
}

// waitPrepared waits for the executor's preparations under way, before a
// step directory is removed: one that came late would make it again.
func (e *Engine) waitPrepared() {
	if p, ok := e.exec.(interface{ WaitPrepared() }); ok {
		p.WaitPrepared()
	}
}
