package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
)

// exerciseArchive covers ArchiveWorkflow, GetArchivedWorkflow,
// ListArchivedWorkflows, DeleteArchivedWorkflow, DeleteArchivedBefore,
// ArchivedLabelKeys and ArchivedLabelValues.
func exerciseArchive(t *testing.T, open Factory) {
	each(t, open, map[string]check{
		"RoundTrip":     archiveRoundTrip,
		"ListFilters":   archiveListFilters,
		"Labels":        archiveLabels,
		"Retention":     archiveRetention,
		"OutlivesLive":  archiveOutlivesLive,
		"BadContinue":   archiveBadContinue,
		"MissingDelete": archiveMissing,
	})
}

// endedWF is a workflow that ended at end, with one node and labels.
func endedWF(ns, name string, at, end time.Time, labels map[string]string) *wfv1.Workflow {
	wf := newWF(ns, name, at)
	wf.Status.Phase = wfv1.PhaseSucceeded
	wf.Status.FinishedAt = &end
	wf.Metadata.Labels = labels
	wf.Status.Nodes = map[string]wfv1.NodeStatus{name: {ID: name, Name: name, Type: "Pod", Phase: wfv1.PhaseSucceeded}}
	return wf
}

func archive(t *testing.T, s store.Store, wfs ...*wfv1.Workflow) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		for _, wf := range wfs {
			if err := tx.ArchiveWorkflow(t.Context(), wf); err != nil {
				return err
			}
		}
		return nil
	})
}

func archivedNames(t *testing.T, s store.Store, opts store.ArchiveListOptions) ([]string, string) {
	t.Helper()
	var names []string
	var next string
	view(t, s, func(tx store.Tx) error {
		list, cont, err := tx.ListArchivedWorkflows(t.Context(), opts)
		for _, wf := range list {
			if len(wf.Status.Nodes) != 0 {
				return fmt.Errorf("ListArchivedWorkflows: %s listed with its nodes", wf.Metadata.Name)
			}
			names = append(names, wf.Metadata.Name)
		}
		next = cont
		return err
	})
	return names, next
}

func archiveRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	wf := endedWF("default", "a", time.Unix(100, 0), time.Unix(200, 0), map[string]string{"team": "blue"})
	archive(t, s, wf)
	view(t, s, func(tx store.Tx) error {
		got, err := tx.GetArchivedWorkflow(ctx, wf.Metadata.UID)
		if err == nil && (got.Metadata.Name != "a" || got.Status.Phase != wfv1.PhaseSucceeded ||
			got.Status.Nodes["a"].Type != "Pod" || got.Metadata.Labels["team"] != "blue" || !got.Status.FinishedAt.Equal(time.Unix(200, 0))) {
			err = fmt.Errorf("GetArchivedWorkflow: %+v, want a whole", got)
		}
		return err
	})
	// Archiving the same UID again (a retried workflow ended again)
	// replaces the entry, labels included.
	wf.Status.Phase = wfv1.PhaseFailed
	wf.Metadata.Labels = map[string]string{"team": "red"}
	archive(t, s, wf)
	view(t, s, func(tx store.Tx) error {
		got, err := tx.GetArchivedWorkflow(ctx, wf.Metadata.UID)
		if err == nil && (got.Status.Phase != wfv1.PhaseFailed || got.Metadata.Labels["team"] != "red") {
			err = fmt.Errorf("archived again: %+v, want Failed with team=red", got)
		}
		vals, verr := tx.ArchivedLabelValues(ctx, "team", nil)
		if err == nil && verr == nil && !slices.Equal(vals, []string{"red"}) {
			err = fmt.Errorf("label values after archiving again: %v, want [red]", vals)
		}
		return errors.Join(err, verr)
	})
}

func archiveListFilters(t *testing.T, s store.Store) {
	base := time.Unix(1000, 0)
	var wfs []*wfv1.Workflow
	for i, n := range []string{"ns1/build-1", "ns1/build-2", "ns1/test-1", "ns2/build-3", "ns2/deploy"} {
		ns, name, _ := cut(n)
		wfs = append(wfs, endedWF(ns, name, base.Add(time.Duration(i)*time.Second), base.Add(time.Hour), nil))
	}
	archive(t, s, wfs...)
	for _, c := range []struct {
		opts store.ArchiveListOptions
		want []string
	}{
		{store.ArchiveListOptions{}, []string{"deploy", "build-3", "test-1", "build-2", "build-1"}},
		{store.ArchiveListOptions{Namespaces: []string{"ns1"}}, []string{"test-1", "build-2", "build-1"}},
		{store.ArchiveListOptions{NotNamespace: "ns1"}, []string{"deploy", "build-3"}},
		{store.ArchiveListOptions{NamePrefix: "build-"}, []string{"build-3", "build-2", "build-1"}},
		{store.ArchiveListOptions{NamePrefix: "build-%"}, nil},
		{store.ArchiveListOptions{Namespaces: []string{"ns2"}, NamePrefix: "b"}, []string{"build-3"}},
		{store.ArchiveListOptions{Match: func(wf *wfv1.Workflow) bool { return wf.Metadata.Name != "test-1" }},
			[]string{"deploy", "build-3", "build-2", "build-1"}},
	} {
		if got, _ := archivedNames(t, s, c.opts); !slices.Equal(got, c.want) {
			t.Errorf("ListArchivedWorkflows(%+v): %v, want %v", c.opts, got, c.want)
		}
	}
	// Pages of two, with and without a filter, give every match once.
	for _, match := range []func(*wfv1.Workflow) bool{nil, func(wf *wfv1.Workflow) bool { return wf.Metadata.Name != "build-2" }} {
		var all []string
		opts := store.ArchiveListOptions{Limit: 2, Match: match}
		for range 5 {
			page, next := archivedNames(t, s, opts)
			if len(page) > 2 {
				t.Fatalf("a page of %d: %v", len(page), page)
			}
			all = append(all, page...)
			if next == "" {
				break
			}
			opts.Continue = next
		}
		want := []string{"deploy", "build-3", "test-1", "build-2", "build-1"}
		if match != nil {
			want = slices.DeleteFunc(want, func(n string) bool { return n == "build-2" })
		}
		if !slices.Equal(all, want) {
			t.Errorf("paged archive list: %v, want %v", all, want)
		}
	}
}

func cut(s string) (string, string, bool) {
	for i := range len(s) {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return "", s, false
}

func archiveLabels(t *testing.T, s store.Store) {
	ctx := t.Context()
	at := time.Unix(10, 0)
	archive(t, s,
		endedWF("ns1", "a", at, at, map[string]string{"team": "blue", "tier": "gold"}),
		endedWF("ns1", "b", at, at, map[string]string{"team": "red"}),
		endedWF("ns2", "c", at, at, map[string]string{"team": "green", "owner": "x"}),
		endedWF("ns2", "d", at, at, nil))
	view(t, s, func(tx store.Tx) error {
		var errs []error
		check := func(what string, got []string, err error, want []string) {
			if err != nil || !slices.Equal(got, want) {
				errs = append(errs, fmt.Errorf("%s: %v, want %v (error: %w)", what, got, want, err))
			}
		}
		keys, err := tx.ArchivedLabelKeys(ctx, nil)
		check("keys", keys, err, []string{"owner", "team", "tier"})
		keys, err = tx.ArchivedLabelKeys(ctx, []string{"ns1"})
		check("keys in ns1", keys, err, []string{"team", "tier"})
		vals, err := tx.ArchivedLabelValues(ctx, "team", nil)
		check("team values", vals, err, []string{"blue", "green", "red"})
		vals, err = tx.ArchivedLabelValues(ctx, "team", []string{"ns2"})
		check("team values in ns2", vals, err, []string{"green"})
		vals, err = tx.ArchivedLabelValues(ctx, "nope", nil)
		check("values of an unknown key", vals, err, []string{})
		return errors.Join(errs...)
	})
}

func archiveRetention(t *testing.T, s store.Store) {
	ctx := t.Context()
	at := time.Unix(10, 0)
	archive(t, s,
		endedWF("default", "old", at, time.Unix(100, 0), map[string]string{"k": "v"}),
		endedWF("default", "older", at, time.Unix(50, 0), nil),
		endedWF("default", "new", at, time.Unix(300, 0), nil))
	var n1, n2 int
	update(t, s, func(tx store.Tx) error {
		var err error
		n1, err = tx.DeleteArchivedBefore(ctx, time.Unix(200, 0), 1)
		return err
	})
	if got, _ := archivedNames(t, s, store.ArchiveListOptions{}); n1 != 1 || slices.Contains(got, "older") || len(got) != 2 {
		t.Fatalf("DeleteArchivedBefore with a limit of 1: %d removed, left %v; want the oldest removed", n1, got)
	}
	update(t, s, func(tx store.Tx) error {
		var err error
		n2, err = tx.DeleteArchivedBefore(ctx, time.Unix(200, 0), 100)
		return err
	})
	if got, _ := archivedNames(t, s, store.ArchiveListOptions{}); n2 != 1 || !slices.Equal(got, []string{"new"}) {
		t.Fatalf("DeleteArchivedBefore: %d removed, left %v; want new", n2, got)
	}
	view(t, s, func(tx store.Tx) error {
		if keys, err := tx.ArchivedLabelKeys(ctx, nil); err != nil || len(keys) != 0 {
			return fmt.Errorf("label keys of removed entries are kept: %v (error: %w)", keys, err)
		}
		return nil
	})
}

// Deleting the live workflow keeps its archived copy, and deleting the
// copy keeps the live one.
func archiveOutlivesLive(t *testing.T, s store.Store) {
	ctx := t.Context()
	wf := endedWF("default", "a", time.Unix(1, 0), time.Unix(2, 0), nil)
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreateWorkflow(ctx, wf); err != nil {
			return err
		}
		return tx.ArchiveWorkflow(ctx, wf)
	})
	update(t, s, func(tx store.Tx) error { return tx.DeleteWorkflow(ctx, wf.Metadata.UID) })
	view(t, s, func(tx store.Tx) error {
		_, err := tx.GetArchivedWorkflow(ctx, wf.Metadata.UID)
		return err
	})
	other := endedWF("default", "b", time.Unix(1, 0), time.Unix(2, 0), nil)
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreateWorkflow(ctx, other); err != nil {
			return err
		}
		if err := tx.ArchiveWorkflow(ctx, other); err != nil {
			return err
		}
		return tx.DeleteArchivedWorkflow(ctx, other.Metadata.UID)
	})
	if _, err := get(t, s, "default", "b"); err != nil {
		t.Fatalf("the live workflow went with its archived copy: %v", err)
	}
}

func archiveBadContinue(t *testing.T, s store.Store) {
	err := s.View(t.Context(), func(tx store.Tx) error {
		_, _, err := tx.ListArchivedWorkflows(t.Context(), store.ArchiveListOptions{Continue: "not a token"})
		return err
	})
	if !errors.Is(err, store.ErrBadContinue) {
		t.Fatalf("a bad continue token: %v, want ErrBadContinue", err)
	}
}

func archiveMissing(t *testing.T, s store.Store) {
	ctx := t.Context()
	err := s.View(ctx, func(tx store.Tx) error {
		_, err := tx.GetArchivedWorkflow(ctx, "nope")
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetArchivedWorkflow of an unknown uid: %v, want ErrNotFound", err)
	}
	err = s.Update(ctx, func(tx store.Tx) error { return tx.DeleteArchivedWorkflow(ctx, "nope") })
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteArchivedWorkflow of an unknown uid: %v, want ErrNotFound", err)
	}
}
