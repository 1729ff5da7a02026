// Package storetest is the conformance suite every store driver must
// pass, unchanged: a driver's test calls Run with a Factory that opens
// fresh databases of its kind.
//
// The checks are grouped by the noun they concern (Workflow, Node, Log,
// Event, Object, Archive, Tx, Lock, Generation, Session, LockManager, and Shared
// for drivers that implement store.Shared), one t.Run group each, and
// every check is a parallel subtest on a database of its own, so checks
// neither wait for nor see each other. Every Tx
// method is exercised by at least one check: each group's exercise
// function names the methods it covers, and a method added to store.Tx
// needs a check here too.
package storetest

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
)

// Factory opens a new, empty database for one check and returns a handle
// on it, and a function that opens another handle on the same database as
// a second engine process would: its own connections, nothing shared in
// memory with the first. Handles close when the check ends (t.Cleanup).
// Checks run in parallel, so every call must give a database of its own.
type Factory func(t *testing.T) (store.Store, func(t *testing.T) store.Store)

// check runs on one handle of a fresh database; sharedCheck on two
// handles of one.
type (
	check       func(t *testing.T, s store.Store)
	sharedCheck func(t *testing.T, s1, s2 store.Store)
)

// Run runs the whole suite against the driver behind open.
func Run(t *testing.T, open Factory) {
	groups := []struct {
		noun     string
		exercise func(t *testing.T, open Factory)
	}{
		{"Workflow", exerciseWorkflow},
		{"Node", exerciseNode},
		{"Log", exerciseLog},
		{"Event", exerciseEvent},
		{"Object", exerciseObject},
		{"Archive", exerciseArchive},
		{"Tx", exerciseTx},
		{"Lock", exerciseLock},
		{"Generation", exerciseGeneration},
		{"Session", exerciseSession},
		{"LockManager", exerciseLockManager},
		{"Shared", exerciseShared},
	}
	for _, g := range groups {
		t.Run(g.noun, func(t *testing.T) {
			t.Parallel()
			g.exercise(t, open)
		})
	}
}

// each runs checks as parallel subtests, in name order, each on a fresh
// database.
func each(t *testing.T, open Factory, checks map[string]check) {
	for _, name := range slices.Sorted(maps.Keys(checks)) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, _ := open(t)
			checks[name](t, s)
		})
	}
}

// eachShared is each for checks that need two handles on one database.
func eachShared(t *testing.T, open Factory, checks map[string]sharedCheck) {
	for _, name := range slices.Sorted(maps.Keys(checks)) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s1, another := open(t)
			checks[name](t, s1, another(t))
		})
	}
}

func newWF(ns, name string, at time.Time) *wfv1.Workflow {
	wf := &wfv1.Workflow{}
	wf.Kind = wfv1.KindWorkflow
	wf.Metadata.Namespace, wf.Metadata.Name = ns, name
	wf.Metadata.UID = "uid-" + ns + "-" + name
	wf.Metadata.CreationTimestamp = &at
	wf.Spec.Entrypoint = "main"
	wf.Status.Phase = wfv1.PhaseRunning
	return wf
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// update runs fn in a write transaction that must commit.
func update(t *testing.T, s store.Store, fn func(store.Tx) error) {
	t.Helper()
	must(t, s.Update(t.Context(), fn))
}

// view runs fn in a read transaction that must succeed.
func view(t *testing.T, s store.Store, fn func(store.Tx) error) {
	t.Helper()
	must(t, s.View(t.Context(), fn))
}

func get(t *testing.T, s store.Store, ns, name string) (*wfv1.Workflow, error) {
	ctx := t.Context()
	var wf *wfv1.Workflow
	err := s.View(ctx, func(tx store.Tx) error {
		var err error
		wf, err = tx.GetWorkflow(ctx, ns, name)
		return err
	})
	return wf, err
}
