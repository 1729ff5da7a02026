// Package storetest is the conformance suite every store driver must
// pass. A driver's test calls Run with a function that opens an empty
// store.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/store"
)

// Run runs every conformance test against stores made by open.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := map[string]func(*testing.T, store.Store){
		"WorkflowRoundTrip": workflowRoundTrip,
		"NameClash":         nameClash,
		"NodesUpsert":       nodesUpsert,
		"ListPaging":        listPaging,
		"DeleteCascades":    deleteCascades,
		"Objects":           objects,
		"RollbackOnError":   rollbackOnError,
		"ConcurrentUpdates": concurrentUpdates,
		"LockState":         lockState,
		"OutsideWrite":      outsideWrite,
		"LockGeneration":    lockGeneration,
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) { fn(t, open(t)) })
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

func update(t *testing.T, s store.Store, fn func(store.Tx) error) {
	t.Helper()
	must(t, s.Update(context.Background(), fn))
}

func get(t *testing.T, s store.Store, ns, name string) (*wfv1.Workflow, error) {
	var wf *wfv1.Workflow
	err := s.View(context.Background(), func(tx store.Tx) error {
		var err error
		wf, err = tx.GetWorkflow(ns, name)
		return err
	})
	return wf, err
}

func workflowRoundTrip(t *testing.T, s store.Store) {
	wf := newWF("default", "a", time.Unix(100, 0))
	wf.Status.Nodes = map[string]wfv1.NodeStatus{"a": {ID: "a", Name: "a", Type: "Pod", Phase: wfv1.PhaseRunning}}
	update(t, s, func(tx store.Tx) error { return tx.CreateWorkflow(wf) })
	got, err := get(t, s, "default", "a")
	must(t, err)
	if got.Metadata.UID != wf.Metadata.UID || got.Status.Phase != wfv1.PhaseRunning || got.Status.Nodes["a"].Type != "Pod" {
		t.Fatalf("round trip lost data: %+v", got)
	}
	got.Status.Phase = wfv1.PhaseSucceeded
	update(t, s, func(tx store.Tx) error { return tx.PutWorkflow(got) })
	again, err := get(t, s, "default", "a")
	must(t, err)
	if again.Status.Phase != wfv1.PhaseSucceeded || len(again.Status.Nodes) != 1 {
		t.Fatalf("PutWorkflow: phase %q, %d nodes", again.Status.Phase, len(again.Status.Nodes))
	}
	// PutStatus changes the status only; a later PutWorkflow wins again.
	again.Status.Message = "status only"
	again.Spec.Entrypoint = "not-written"
	update(t, s, func(tx store.Tx) error { return tx.PutStatus(again) })
	st, err := get(t, s, "default", "a")
	must(t, err)
	if st.Status.Message != "status only" || st.Spec.Entrypoint != "main" || len(st.Status.Nodes) != 1 {
		t.Fatalf("PutStatus: message %q, entrypoint %q, %d nodes", st.Status.Message, st.Spec.Entrypoint, len(st.Status.Nodes))
	}
	st.Status.Message = "full"
	update(t, s, func(tx store.Tx) error { return tx.PutWorkflow(st) })
	if full, err := get(t, s, "default", "a"); err != nil || full.Status.Message != "full" {
		t.Fatalf("PutWorkflow after PutStatus: %+v %v", full, err)
	}
	if _, err := get(t, s, "default", "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing workflow: got %v, want ErrNotFound", err)
	}
	err = s.View(context.Background(), func(tx store.Tx) error {
		_, err := tx.GetWorkflowByUID(wf.Metadata.UID)
		return err
	})
	must(t, err)
}

func nameClash(t *testing.T, s store.Store) {
	update(t, s, func(tx store.Tx) error { return tx.CreateWorkflow(newWF("default", "x", time.Unix(1, 0))) })
	dup := newWF("default", "x", time.Unix(2, 0))
	dup.Metadata.UID = "other"
	err := s.Update(context.Background(), func(tx store.Tx) error { return tx.CreateWorkflow(dup) })
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate name: got %v, want ErrExists", err)
	}
	update(t, s, func(tx store.Tx) error { return tx.CreateWorkflow(newWF("other-ns", "x", time.Unix(3, 0))) })
}

func nodesUpsert(t *testing.T, s store.Store) {
	wf := newWF("default", "n", time.Unix(1, 0))
	update(t, s, func(tx store.Tx) error { return tx.CreateWorkflow(wf) })
	update(t, s, func(tx store.Tx) error {
		return tx.PutNodes(wf.Metadata.UID, []wfv1.NodeStatus{{ID: "1", Phase: "Pending"}, {ID: "2", Phase: "Pending"}})
	})
	update(t, s, func(tx store.Tx) error {
		return tx.PutNodes(wf.Metadata.UID, []wfv1.NodeStatus{{ID: "1", Phase: "Succeeded"}})
	})
	got, err := get(t, s, "default", "n")
	must(t, err)
	if len(got.Status.Nodes) != 2 || got.Status.Nodes["1"].Phase != "Succeeded" || got.Status.Nodes["2"].Phase != "Pending" {
		t.Fatalf("nodes after upsert: %+v", got.Status.Nodes)
	}
	update(t, s, func(tx store.Tx) error { return tx.DeleteNodes(wf.Metadata.UID, []string{"2", "unknown"}) })
	got, err = get(t, s, "default", "n")
	must(t, err)
	if len(got.Status.Nodes) != 1 || got.Status.Nodes["1"].Phase != "Succeeded" {
		t.Fatalf("nodes after deleting node 2: %+v", got.Status.Nodes)
	}
}

func listPaging(t *testing.T, s store.Store) {
	for i := range 7 {
		wf := newWF("p", fmt.Sprintf("w%d", i), time.Unix(int64(1000+i/2), 0))
		if i%3 == 0 {
			wf.Status.Phase = wfv1.PhaseSucceeded
		}
		update(t, s, func(tx store.Tx) error { return tx.CreateWorkflow(wf) })
	}
	update(t, s, func(tx store.Tx) error { return tx.CreateWorkflow(newWF("q", "other", time.Unix(5000, 0))) })
	seen := pageAll(t, s, store.ListOptions{Namespace: "p", Limit: 3})
	if len(seen) != 7 {
		t.Fatalf("paged through %v, want 7 distinct workflows", seen)
	}
	if seen[0] != "w6" {
		t.Fatalf("newest first: got %v", seen)
	}
	var done []*wfv1.Workflow
	must(t, s.View(context.Background(), func(tx store.Tx) error {
		var err error
		done, _, err = tx.ListWorkflows(store.ListOptions{Namespace: "p", Phases: []string{wfv1.PhaseSucceeded}})
		return err
	}))
	if len(done) != 3 {
		t.Fatalf("phase filter: %d workflows, want 3", len(done))
	}
	// A filter applied while paging: the odd-numbered ones, two a page.
	odd := func(wf *wfv1.Workflow) bool { return (wf.Metadata.Name[1]-'0')%2 == 1 }
	matched := pageAll(t, s, store.ListOptions{Namespace: "p", Limit: 2, Match: odd})
	if fmt.Sprint(matched) != "[w5 w3 w1]" {
		t.Fatalf("filtered paging: got %v, want [w5 w3 w1]", matched)
	}
	// The raw list carries the newer status, and the same selection.
	var w1 *wfv1.Workflow
	must(t, s.View(context.Background(), func(tx store.Tx) error {
		var err error
		w1, err = tx.GetWorkflow("p", "w1")
		return err
	}))
	w1.Status.Phase = wfv1.PhaseFailed
	update(t, s, func(tx store.Tx) error { return tx.PutStatus(w1) })
	var raws []json.RawMessage
	must(t, s.View(context.Background(), func(tx store.Tx) error {
		var err error
		raws, _, err = tx.ListWorkflowsRaw(store.ListOptions{Namespace: "p", Match: odd})
		return err
	}))
	var names []string
	for _, raw := range raws {
		var wf wfv1.Workflow
		must(t, json.Unmarshal(raw, &wf))
		names = append(names, wf.Metadata.Name+":"+wf.Status.Phase)
	}
	if got := fmt.Sprint(names); got != "[w5:Running w3:Succeeded w1:Failed]" {
		t.Fatalf("raw list: %s, want [w5:Running w3:Succeeded w1:Failed]", got)
	}
}

// pageAll lists page by page until no continue token is left, checking
// each page's size, and returns the names in order.
func pageAll(t *testing.T, s store.Store, opts store.ListOptions) []string {
	t.Helper()
	var names []string
	for page := 0; ; page++ {
		if page > 10 {
			t.Fatal("paging does not end")
		}
		var list []*wfv1.Workflow
		must(t, s.View(context.Background(), func(tx store.Tx) error {
			var err error
			list, opts.Continue, err = tx.ListWorkflows(opts)
			return err
		}))
		if len(list) > opts.Limit {
			t.Fatalf("page of %d, limit %d", len(list), opts.Limit)
		}
		for _, wf := range list {
			names = append(names, wf.Metadata.Name)
		}
		if opts.Continue == "" {
			return names
		}
	}
}

func deleteCascades(t *testing.T, s store.Store) {
	wf := newWF("default", "d", time.Unix(1, 0))
	wf.Status.Nodes = map[string]wfv1.NodeStatus{"d": {ID: "d"}}
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreateWorkflow(wf); err != nil {
			return err
		}
		if err := tx.PutLog(wf.Metadata.UID, "d", "/logs/d"); err != nil {
			return err
		}
		return tx.AppendEvents([]store.Event{{WorkflowUID: wf.Metadata.UID, At: time.Unix(2, 0), Type: "Started"}})
	})
	update(t, s, func(tx store.Tx) error { return tx.DeleteWorkflow(wf.Metadata.UID) })
	if _, err := get(t, s, "default", "d"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	must(t, s.View(context.Background(), func(tx store.Tx) error {
		ev, err := tx.Events(wf.Metadata.UID)
		if err != nil || len(ev) != 0 {
			return fmt.Errorf("events survive delete: %v: %w", ev, err)
		}
		logs, err := tx.Logs(wf.Metadata.UID)
		if err != nil || len(logs) != 0 {
			return fmt.Errorf("logs survive delete: %v: %w", logs, err)
		}
		return nil
	}))
	err := s.Update(context.Background(), func(tx store.Tx) error { return tx.DeleteWorkflow(wf.Metadata.UID) })
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: got %v, want ErrNotFound", err)
	}
}

func objects(t *testing.T, s store.Store) {
	o := store.Object{Kind: "ConfigMap", Namespace: "default", Name: "limits", Doc: []byte(`{"data":{"a":"1"}}`), UpdatedAt: time.Unix(1, 0)}
	update(t, s, func(tx store.Tx) error { return tx.PutObject(o) })
	o.Doc = []byte(`{"data":{"a":"2"}}`)
	update(t, s, func(tx store.Tx) error { return tx.PutObject(o) })
	must(t, s.View(context.Background(), func(tx store.Tx) error {
		got, err := tx.GetObject("ConfigMap", "default", "limits")
		if err != nil {
			return err
		}
		if string(got.Doc) != `{"data":{"a":"2"}}` {
			return fmt.Errorf("object not replaced: %s", got.Doc)
		}
		list, err := tx.ListObjects("ConfigMap", "")
		if err != nil || len(list) != 1 {
			return fmt.Errorf("list: %v: %w", list, err)
		}
		return nil
	}))
	update(t, s, func(tx store.Tx) error { return tx.DeleteObject("ConfigMap", "default", "limits") })
	err := s.View(context.Background(), func(tx store.Tx) error {
		_, err := tx.GetObject("ConfigMap", "default", "limits")
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted object: got %v", err)
	}
}

func rollbackOnError(t *testing.T, s store.Store) {
	boom := errors.New("boom")
	err := s.Update(context.Background(), func(tx store.Tx) error {
		if err := tx.CreateWorkflow(newWF("default", "r", time.Unix(1, 0))); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want the callback's error", err)
	}
	if _, err := get(t, s, "default", "r"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("half-written state survived a rollback: %v", err)
	}
}

func concurrentUpdates(t *testing.T, s store.Store) {
	wf := newWF("default", "c", time.Unix(1, 0))
	update(t, s, func(tx store.Tx) error { return tx.CreateWorkflow(wf) })
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Update(context.Background(), func(tx store.Tx) error {
				return tx.PutNodes(wf.Metadata.UID, []wfv1.NodeStatus{{ID: fmt.Sprint(i)}})
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	got, err := get(t, s, "default", "c")
	must(t, err)
	if len(got.Status.Nodes) != 20 {
		t.Fatalf("%d nodes after 20 concurrent writers", len(got.Status.Nodes))
	}
}

func lockState(t *testing.T, s store.Store) {
	ctx := context.Background()
	var seqs []uint64
	update(t, s, func(tx store.Tx) error {
		for _, k := range []string{"default/Mutex/m", "default/ConfigMap/c/k"} {
			if err := tx.PutLockLimit(k, 2); err != nil {
				return err
			}
		}
		for range 3 {
			n, err := tx.NextLockSeq()
			if err != nil {
				return err
			}
			seqs = append(seqs, n)
		}
		if err := tx.PutFence("default/Mutex/m", 7); err != nil {
			return err
		}
		if err := tx.PutFence("default/Mutex/m", 5); err != nil { // never goes back
			return err
		}
		if err := tx.PutHold("default/a", []domain.Token{{Lock: "default/Mutex/m", Value: 7}}); err != nil {
			return err
		}
		now := time.Unix(50, 0)
		for _, w := range []domain.QueuedWaiter{
			{Waiter: domain.Waiter{Holder: "default/low", Locks: []string{"default/Mutex/m"}, Priority: 0, Created: time.Unix(1, 0), Seq: 1}, Enqueued: now},
			{Waiter: domain.Waiter{Holder: "default/high", Locks: []string{"default/Mutex/m", "default/ConfigMap/c/k"}, Priority: 5, Created: time.Unix(9, 0), Seq: 2}, Enqueued: now},
			{Waiter: domain.Waiter{Holder: "default/gone", Locks: []string{"default/Mutex/m"}, Priority: 9, Created: time.Unix(1, 0), Seq: 3}, Enqueued: now},
		} {
			if err := tx.PutWaiter(w); err != nil {
				return err
			}
		}
		return tx.DeleteWaiter("default/gone")
	})
	if seqs[0] >= seqs[1] || seqs[1] >= seqs[2] {
		t.Fatalf("sequence not increasing: %v", seqs)
	}
	var st *store.LockState
	must(t, s.View(ctx, func(tx store.Tx) error {
		var err error
		st, err = tx.LoadLocks()
		return err
	}))
	if len(st.Locks) != 2 || st.NextSeq <= seqs[2] {
		t.Fatalf("locks %+v next seq %d", st.Locks, st.NextSeq)
	}
	for _, l := range st.Locks {
		if l.Key == "default/Mutex/m" && (l.Fence != 7 || l.Limit != 2) {
			t.Fatalf("mutex row %+v, want fence 7 limit 2", l)
		}
	}
	if len(st.Holds["default/a"]) != 1 || st.Holds["default/a"][0].Value != 7 {
		t.Fatalf("holds %+v", st.Holds)
	}
	if len(st.Waiters) != 2 || st.Waiters[0].Holder != "default/high" || len(st.Waiters[0].Locks) != 2 {
		t.Fatalf("waiters not in priority order: %+v", st.Waiters)
	}
	update(t, s, func(tx store.Tx) error { return tx.DeleteHold("default/a") })
	must(t, s.View(ctx, func(tx store.Tx) error {
		st, err := tx.LoadLocks()
		if err == nil && len(st.Holds) != 0 {
			err = fmt.Errorf("hold survived delete: %+v", st.Holds)
		}
		return err
	}))
}
