package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/store"
)

// exerciseObject covers PutObject, GetObject, ListObjects and
// DeleteObject.
func exerciseObject(t *testing.T, open Factory) {
	each(t, open, map[string]check{
		"Replace":    objects,
		"ListFilter": objectsList,
		"Missing":    objectMissing,
	})
}

func objects(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := store.Object{Kind: "ConfigMap", Namespace: "default", Name: "limits", Doc: []byte(`{"data":{"a":"1"}}`), UpdatedAt: time.Unix(1, 0)}
	update(t, s, func(tx store.Tx) error { return tx.PutObject(ctx, o) })
	o.Doc = []byte(`{"data":{"a":"2"}}`)
	update(t, s, func(tx store.Tx) error { return tx.PutObject(ctx, o) })
	must(t, s.View(ctx, func(tx store.Tx) error {
		got, err := tx.GetObject(ctx, o.Key())
		if err != nil {
			return err
		}
		if string(got.Doc) != `{"data":{"a":"2"}}` {
			return fmt.Errorf("object not replaced: %s", got.Doc)
		}
		list, err := tx.ListObjects(ctx, store.ObjectListOptions{Kind: "ConfigMap"})
		if err != nil || len(list) != 1 {
			return fmt.Errorf("list: %v: %w", list, err)
		}
		return nil
	}))
	update(t, s, func(tx store.Tx) error { return tx.DeleteObject(ctx, o.Key()) })
	err := s.View(ctx, func(tx store.Tx) error {
		_, err := tx.GetObject(ctx, o.Key())
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted object: got %v", err)
	}
}

// objectsList: ListObjects keeps one kind, and one namespace when asked,
// ordered by namespace then name, with each object's document and time.
func objectsList(t *testing.T, s store.Store) {
	ctx := t.Context()
	at := time.Unix(1_700_000_000, 123456789)
	update(t, s, func(tx store.Tx) error {
		for _, o := range []store.Object{
			{Kind: "ConfigMap", Namespace: "b", Name: "x"},
			{Kind: "ConfigMap", Namespace: "a", Name: "z"},
			{Kind: "ConfigMap", Namespace: "a", Name: "y"},
			{Kind: "WorkflowTemplate", Namespace: "a", Name: "t"},
		} {
			o.Doc, o.UpdatedAt = []byte(`{"name":"`+o.Name+`"}`), at
			if err := tx.PutObject(ctx, o); err != nil {
				return err
			}
		}
		return nil
	})
	list := func(opts store.ObjectListOptions) string {
		t.Helper()
		var out []store.Object
		view(t, s, func(tx store.Tx) error {
			var err error
			out, err = tx.ListObjects(ctx, opts)
			return err
		})
		var names []string
		for _, o := range out {
			if o.Kind != opts.Kind || string(o.Doc) != `{"name":"`+o.Name+`"}` || !o.UpdatedAt.Equal(at) {
				t.Errorf("listed %s %s/%s with %s at %v, want kind %s, its own document, at %v", o.Kind, o.Namespace, o.Name, o.Doc, o.UpdatedAt, opts.Kind, at)
			}
			names = append(names, o.Namespace+"/"+o.Name)
		}
		return fmt.Sprint(names)
	}
	if got := list(store.ObjectListOptions{Kind: "ConfigMap"}); got != "[a/y a/z b/x]" {
		t.Errorf("ConfigMaps of every namespace: %s, want [a/y a/z b/x]", got)
	}
	if got := list(store.ObjectListOptions{Kind: "ConfigMap", Namespace: "a"}); got != "[a/y a/z]" {
		t.Errorf("ConfigMaps of namespace a: %s, want [a/y a/z]", got)
	}
	if got := list(store.ObjectListOptions{Kind: "CronWorkflow"}); got != "[]" {
		t.Errorf("CronWorkflows: %s, want none", got)
	}
}

// objectMissing: GetObject and DeleteObject of a key nobody stored fail
// with ErrNotFound; the same name of another kind or namespace is
// another key.
func objectMissing(t *testing.T, s store.Store) {
	ctx := t.Context()
	stored := store.Object{Kind: "ConfigMap", Namespace: "default", Name: "limits", Doc: []byte(`{}`)}
	update(t, s, func(tx store.Tx) error { return tx.PutObject(ctx, stored) })
	for _, key := range []store.ObjectKey{
		{Kind: "ConfigMap", Namespace: "default", Name: "other"},
		{Kind: "ConfigMap", Namespace: "other", Name: "limits"},
		{Kind: "WorkflowTemplate", Namespace: "default", Name: "limits"},
	} {
		err := s.View(ctx, func(tx store.Tx) error {
			_, err := tx.GetObject(ctx, key)
			return err
		})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetObject(%s): got %v, want ErrNotFound", key, err)
		}
		err = s.Update(ctx, func(tx store.Tx) error { return tx.DeleteObject(ctx, key) })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteObject(%s): got %v, want ErrNotFound", key, err)
		}
	}
	view(t, s, func(tx store.Tx) error {
		_, err := tx.GetObject(ctx, stored.Key())
		return err
	})
}
