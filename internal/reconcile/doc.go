// Package reconcile decides what a workflow does next. Given a workflow
// (spec and status), the events that happened since the last call (a step
// started or exited, a stop was asked for) and the current time, Reconcile
// updates the node statuses and returns a Plan: the steps to start, the
// processes to kill, when to be called again, and whether the workflow is
// done.
//
// It is level-based, like Argo's operator: each call walks the template
// tree from the entrypoint, so a call after a restart decides exactly what
// the call before the crash would have. Node names and IDs follow Argo's
// scheme, so statuses read like Argo's.
//
// The package is pure: no I/O, no clock, no goroutines. The engine turns
// the Plan into transactions and processes. Locks are a seam: templates
// with a synchronization block are not handled here yet.
package reconcile
