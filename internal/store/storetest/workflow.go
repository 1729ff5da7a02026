package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
)

// exerciseWorkflow covers CreateWorkflow, PutWorkflow, PutStatus,
// GetWorkflow, GetWorkflowByUID, ListWorkflows, ListWorkflowsRaw and
// DeleteWorkflow.
func exerciseWorkflow(t *testing.T, open Factory) {
	each(t, open, map[string]check{
		"RoundTrip":      workflowRoundTrip,
		"NameClash":      nameClash,
		"UIDClash":       uidClash,
		"Missing":        workflowMissing,
		"ListPaging":     listPaging,
		"ListRawStatus":  listRawStatus,
		"BadContinue":    badContinue,
		"DeleteCascades": deleteCascades,
	})
}

func workflowRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	wf := newWF("default", "a", time.Unix(100, 0))
	wf.Status.Nodes = map[string]wfv1.NodeStatus{"a": {ID: "a", Name: "a", Type: "Pod", Phase: wfv1.PhaseRunning}}
	update(t, s, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, wf) })
	got, err := get(t, s, "default", "a")
	must(t, err)
	if got.Metadata.UID != wf.Metadata.UID || got.Status.Phase != wfv1.PhaseRunning || got.Status.Nodes["a"].Type != "Pod" {
		t.Fatalf("round trip lost data: %+v", got)
	}
	got.Status.Phase = wfv1.PhaseSucceeded
	update(t, s, func(tx store.Tx) error { return tx.PutWorkflow(ctx, got) })
	again, err := get(t, s, "default", "a")
	must(t, err)
	if again.Status.Phase != wfv1.PhaseSucceeded || len(again.Status.Nodes) != 1 {
		t.Fatalf("PutWorkflow: phase %q, %d nodes", again.Status.Phase, len(again.Status.Nodes))
	}
	// PutStatus changes the status only; a later PutWorkflow wins again.
	again.Status.Message = "status only"
	again.Spec.Entrypoint = "not-written"
	update(t, s, func(tx store.Tx) error { return tx.PutStatus(ctx, again) })
	st, err := get(t, s, "default", "a")
	must(t, err)
	if st.Status.Message != "status only" || st.Spec.Entrypoint != "main" || len(st.Status.Nodes) != 1 {
		t.Fatalf("PutStatus: message %q, entrypoint %q, %d nodes", st.Status.Message, st.Spec.Entrypoint, len(st.Status.Nodes))
	}
	st.Status.Message = "full"
	update(t, s, func(tx store.Tx) error { return tx.PutWorkflow(ctx, st) })
	if full, err := get(t, s, "default", "a"); err != nil || full.Status.Message != "full" {
		t.Fatalf("PutWorkflow after PutStatus: %+v %v", full, err)
	}
	if _, err := get(t, s, "default", "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing workflow: got %v, want ErrNotFound", err)
	}
	view(t, s, func(tx store.Tx) error {
		byUID, err := tx.GetWorkflowByUID(ctx, wf.Metadata.UID)
		if err == nil && (byUID.Metadata.Name != "a" || byUID.Status.Message != "full" || len(byUID.Status.Nodes) != 1) {
			err = fmt.Errorf("GetWorkflowByUID: %+v, want a with its status and node", byUID)
		}
		return err
	})
	view(t, s, func(tx store.Tx) error {
		list, _, err := tx.ListWorkflows(ctx, store.ListOptions{})
		if err == nil && (len(list) != 1 || list[0].Status.Message != "full" || len(list[0].Status.Nodes) != 0) {
			err = fmt.Errorf("ListWorkflows: %+v, want a with its status and without its nodes", list)
		}
		return err
	})
}

func nameClash(t *testing.T, s store.Store) {
	ctx := t.Context()
	update(t, s, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, newWF("default", "x", time.Unix(1, 0))) })
	dup := newWF("default", "x", time.Unix(2, 0))
	dup.Metadata.UID = "other"
	err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, dup) })
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate name: got %v, want ErrExists", err)
	}
	update(t, s, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, newWF("other-ns", "x", time.Unix(3, 0))) })
}

// uidClash: a UID names one workflow, whatever its name.
func uidClash(t *testing.T, s store.Store) {
	ctx := t.Context()
	update(t, s, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, newWF("default", "x", time.Unix(1, 0))) })
	dup := newWF("default", "y", time.Unix(2, 0))
	dup.Metadata.UID = "uid-default-x"
	err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, dup) })
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate UID: got %v, want ErrExists", err)
	}
	if _, err := get(t, s, "default", "y"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the refused workflow was stored: %v", err)
	}
}

// workflowMissing: every call naming a workflow that is not stored fails
// with ErrNotFound and writes nothing.
func workflowMissing(t *testing.T, s store.Store) {
	ctx := t.Context()
	ghost := newWF("default", "ghost", time.Unix(1, 0))
	for name, fn := range map[string]func(store.Tx) error{
		"PutWorkflow":    func(tx store.Tx) error { return tx.PutWorkflow(ctx, ghost) },
		"PutStatus":      func(tx store.Tx) error { return tx.PutStatus(ctx, ghost) },
		"DeleteWorkflow": func(tx store.Tx) error { return tx.DeleteWorkflow(ctx, ghost.Metadata.UID) },
		"GetWorkflowByUID": func(tx store.Tx) error {
			_, err := tx.GetWorkflowByUID(ctx, ghost.Metadata.UID)
			return err
		},
	} {
		if err := s.Update(ctx, fn); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s of a missing workflow: got %v, want ErrNotFound", name, err)
		}
	}
	view(t, s, func(tx store.Tx) error {
		list, _, err := tx.ListWorkflows(ctx, store.ListOptions{})
		if err == nil && len(list) != 0 {
			err = fmt.Errorf("writes of a missing workflow stored %d", len(list))
		}
		return err
	})
}

func listPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i := range 7 {
		wf := newWF("p", fmt.Sprintf("w%d", i), time.Unix(int64(1000+i/2), 0))
		if i%3 == 0 {
			wf.Status.Phase = wfv1.PhaseSucceeded
		}
		update(t, s, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, wf) })
	}
	update(t, s, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, newWF("q", "other", time.Unix(5000, 0))) })
	seen := pageAll(t, s, store.ListOptions{Namespace: "p", Limit: 3})
	if len(seen) != 7 {
		t.Fatalf("paged through %v, want 7 distinct workflows", seen)
	}
	if seen[0] != "w6" {
		t.Fatalf("newest first: got %v", seen)
	}
	var done []*wfv1.Workflow
	must(t, s.View(ctx, func(tx store.Tx) error {
		var err error
		done, _, err = tx.ListWorkflows(ctx, store.ListOptions{Namespace: "p", Phases: []string{wfv1.PhaseSucceeded}})
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
	must(t, s.View(ctx, func(tx store.Tx) error {
		var err error
		w1, err = tx.GetWorkflow(ctx, "p", "w1")
		return err
	}))
	w1.Status.Phase = wfv1.PhaseFailed
	update(t, s, func(tx store.Tx) error { return tx.PutStatus(ctx, w1) })
	var raws []json.RawMessage
	must(t, s.View(ctx, func(tx store.Tx) error {
		var err error
		raws, _, err = tx.ListWorkflowsRaw(ctx, store.ListOptions{Namespace: "p", Match: odd})
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

// listRawStatus: ListOptions.Status rewrites the stored status of each
// workflow ListWorkflowsRaw keeps, and is handed its namespace and name.
func listRawStatus(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i, name := range []string{"a", "b"} {
		wf := newWF("default", name, time.Unix(int64(i), 0))
		wf.Status.Message = "stored " + name
		update(t, s, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, wf) })
	}
	var seen []string
	opts := store.ListOptions{Status: func(namespace, name string, status []byte) []byte {
		seen = append(seen, namespace+"/"+name)
		if name != "b" {
			return status
		}
		return []byte(strings.Replace(string(status), "stored b", "live b", 1))
	}}
	var raws []json.RawMessage
	view(t, s, func(tx store.Tx) error {
		var err error
		raws, _, err = tx.ListWorkflowsRaw(ctx, opts)
		return err
	})
	var got []string
	for _, raw := range raws {
		var wf wfv1.Workflow
		must(t, json.Unmarshal(raw, &wf))
		got = append(got, wf.Metadata.Name+":"+wf.Status.Message)
	}
	if fmt.Sprint(got) != "[b:live b a:stored a]" || fmt.Sprint(seen) != "[default/b default/a]" {
		t.Fatalf("raw list with a status rewrite: %v (rewrite saw %v), want [b:live b a:stored a] (saw [default/b default/a])", got, seen)
	}
}

// badContinue: a continue token the store did not make is the caller's
// mistake, ErrBadContinue.
func badContinue(t *testing.T, s store.Store) {
	ctx := t.Context()
	update(t, s, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, newWF("default", "a", time.Unix(1, 0))) })
	for _, tok := range []string{"not a token!", "bm8tc2xhc2g"} {
		err := s.View(ctx, func(tx store.Tx) error {
			_, _, err := tx.ListWorkflows(ctx, store.ListOptions{Limit: 1, Continue: tok})
			return err
		})
		if !errors.Is(err, store.ErrBadContinue) {
			t.Errorf("continue token %q: got %v, want ErrBadContinue", tok, err)
		}
		err = s.View(ctx, func(tx store.Tx) error {
			_, _, err := tx.ListWorkflowsRaw(ctx, store.ListOptions{Limit: 1, Continue: tok})
			return err
		})
		if !errors.Is(err, store.ErrBadContinue) {
			t.Errorf("raw list, continue token %q: got %v, want ErrBadContinue", tok, err)
		}
	}
}

// pageAll lists page by page until no continue token is left, checking
// each page's size, and returns the names in order.
func pageAll(t *testing.T, s store.Store, opts store.ListOptions) []string {
	ctx := t.Context()
	t.Helper()
	var names []string
	for page := 0; ; page++ {
		if page > 10 {
			t.Fatal("paging does not end")
		}
		var list []*wfv1.Workflow
		must(t, s.View(ctx, func(tx store.Tx) error {
			var err error
			list, opts.Continue, err = tx.ListWorkflows(ctx, opts)
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
	ctx := t.Context()
	wf := newWF("default", "d", time.Unix(1, 0))
	wf.Status.Nodes = map[string]wfv1.NodeStatus{"d": {ID: "d"}}
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreateWorkflow(ctx, wf); err != nil {
			return err
		}
		if err := tx.PutLog(ctx, store.NodeLog{WorkflowUID: wf.Metadata.UID, NodeID: "d", Path: "/logs/d"}); err != nil {
			return err
		}
		return tx.AppendEvents(ctx, []store.Event{{WorkflowUID: wf.Metadata.UID, At: time.Unix(2, 0), Type: "Started"}})
	})
	update(t, s, func(tx store.Tx) error { return tx.DeleteWorkflow(ctx, wf.Metadata.UID) })
	if _, err := get(t, s, "default", "d"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	must(t, s.View(ctx, func(tx store.Tx) error {
		ev, err := tx.Events(ctx, wf.Metadata.UID)
		if err != nil || len(ev) != 0 {
			return fmt.Errorf("events survive delete: %v: %w", ev, err)
		}
		logs, err := tx.Logs(ctx, wf.Metadata.UID)
		if err != nil || len(logs) != 0 {
			return fmt.Errorf("logs survive delete: %v: %w", logs, err)
		}
		return nil
	}))
	err := s.Update(ctx, func(tx store.Tx) error { return tx.DeleteWorkflow(ctx, wf.Metadata.UID) })
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: got %v, want ErrNotFound", err)
	}
}
