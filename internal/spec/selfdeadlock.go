package spec

import "github.com/semaflow/semaflow/api/wfv1"

// A steps or DAG template holds its mutexes until all it calls has run,
// so a template running inside it that asks for one of them waits for
// ever. templateDefaults gives its synchronization to every template
// that sets none of its own, steps and DAG templates included, which
// makes such a wait easy to write without seeing it. The nesting itself
// is found by the lock graph (lockgraph.go), through templateRef too.

// mergeSync is the synchronization Argo's templateDefaults merge gives a
// template: its own fields replace the defaults' field by field.
func mergeSync(defaults, own *wfv1.Synchronization) *wfv1.Synchronization {
	if defaults == nil {
		return own
	}
	out := *defaults
	if own == nil {
		return &out
	}
	if own.Semaphore != nil {
		out.Semaphore = own.Semaphore
	}
	if own.Mutex != nil {
		out.Mutex = own.Mutex
	}
	if len(own.Semaphores) > 0 {
		out.Semaphores = own.Semaphores
	}
	if len(own.Mutexes) > 0 {
		out.Mutexes = own.Mutexes
	}
	return &out
}

// checkDefaultsDeadlock reports a workflow-level lock that
// templateDefaults gives every template too.
func (c *wfCtx) checkDefaultsDeadlock(wfLocks []LockRef) {
	td := c.spec.TemplateDefaults
	if td == nil || td.Synchronization == nil || len(wfLocks) == 0 {
		return
	}
	for _, l := range LockKeys(td.Synchronization, c.ns) {
		c.checkSelfDeadlock(l, c.path+".templateDefaults.synchronization."+l.Field, wfLocks)
	}
}
