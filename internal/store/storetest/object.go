package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/store"
)

// exerciseObject covers PutObject, GetObject, ListObjects, DeleteObject
// and LockObject.
func exerciseObject(t *testing.T, open Factory) {
	each(t, open, map[string]check{
		"Replace":    objects,
		"ListFilter": objectsList,
		"Missing":    objectMissing,
	})
	eachShared(t, open, map[string]sharedCheck{
		"LockSerialisesReadModifyWrite": objectLockRMW,
	})
}

// objectLockRMW: two handles read, change and write one object (absent at
// first, as a memoization cache is before its first entry), each after
// LockObject. The second must read what the first wrote: neither
// update is lost.
func objectLockRMW(t *testing.T, s1, s2 store.Store) {
	ctx := t.Context()
	key := store.ObjectKey{Kind: "ConfigMap", Namespace: "default", Name: "memo"}
	addKey := func(tx store.Tx, k string) (string, error) {
		if err := tx.LockObject(ctx, key); err != nil {
			return "", err
		}
		doc := "{}"
		o, err := tx.GetObject(ctx, key)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return "", err
		default:
			doc = string(o.Doc)
		}
		seen := doc
		if doc == "{}" {
			doc = `{"` + k + `":1}`
		} else {
			doc = doc[:len(doc)-1] + `,"` + k + `":1}`
		}
		return seen, tx.PutObject(ctx, store.Object{Kind: key.Kind, Namespace: key.Namespace, Name: key.Name, Doc: []byte(doc), UpdatedAt: time.Now()})
	}
	locked := make(chan struct{})
	release := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- s1.Update(ctx, func(tx store.Tx) error {
			if _, err := addKey(tx, "a"); err != nil {
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	select {
	case <-locked:
	case err := <-first:
		t.Fatalf("first writer: %v", err)
	}
	second := make(chan string, 1)
	secondErr := make(chan error, 1)
	go func() {
		secondErr <- s2.Update(ctx, func(tx store.Tx) error {
			seen, err := addKey(tx, "b")
			second <- seen
			return err
		})
	}()
	// The second writer must wait for the first to commit.
	select {
	case seen := <-second:
		close(release)
		t.Fatalf("the second writer read %s while the first held the object", seen)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	must(t, <-first)
	must(t, <-secondErr)
	if seen := <-second; seen != `{"a":1}` {
		t.Fatalf("the second writer read %s, want the first one's write", seen)
	}
	view(t, s1, func(tx store.Tx) error {
		o, err := tx.GetObject(ctx, key)
		if err == nil && string(o.Doc) != `{"a":1,"b":1}` {
			err = fmt.Errorf("object after both writes: %s", o.Doc)
		}
		return err
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
