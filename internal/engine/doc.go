// Package engine is where pure decisions meet I/O. For each workflow it
// loops: reconcile (pure) → persist the new status in one transaction →
// kill and start steps through the executor → wait for the next event
// (a step's exit, a timer, a stop). A step is stored as Pending before
// its supervisor is spawned, and reconcile only ever plans a launch for a
// node it has just created, so no step is spawned twice.
package engine
