package engine

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
)

// Object reads one stored (Cluster)WorkflowTemplate, CronWorkflow or
// ConfigMap into out.
func (e *Engine) Object(ctx context.Context, kind, namespace, name string, out any) error {
	return e.store.View(ctx, func(tx store.Tx) error {
		o, err := tx.GetObject(ctx, store.ObjectKey{Kind: kind, Namespace: namespace, Name: name})
		if err != nil {
			return err
		}
		return json.Unmarshal(o.Doc, out)
	})
}

// Objects lists the stored objects of a kind in a namespace ("" for all).
func (e *Engine) Objects(ctx context.Context, kind, namespace string) ([]json.RawMessage, error) {
	var out []json.RawMessage
	err := e.store.View(ctx, func(tx store.Tx) error {
		list, err := tx.ListObjects(ctx, store.ObjectListOptions{Kind: kind, Namespace: namespace})
		for _, o := range list {
			out = append(out, o.Doc)
		}
		return err
	})
	return out, err
}

// DeleteObject removes a stored object. A deleted template stops resolving
// at once; a deleted CronWorkflow schedules nothing more (the workflows it
// made stay). Deleting a ConfigMap leaves its locks' holders in place;
// waiters then wait until it is applied again.
func (e *Engine) DeleteObject(ctx context.Context, kind, namespace, name string) error {
	if kind == wfv1.KindConfigMap {
		if err := e.checkLimitChange(namespace, name, nil); err != nil {
			return err
		}
	}
	err := e.store.Update(ctx, func(tx store.Tx) error {
		return tx.DeleteObject(ctx, store.ObjectKey{Kind: kind, Namespace: namespace, Name: name})
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", kind, name, err)
	}
	e.objects.remove(kind, namespace, name)
	if kind == wfv1.KindCronWorkflow {
		e.cronChanged()
	}
	return nil
}

func (o *objects) remove(kind, ns, name string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch kind {
	case wfv1.KindConfigMap:
		delete(o.cms, ns+"/"+name)
	case wfv1.KindWorkflowTemplate, wfv1.KindClusterWorkflowTemplate:
		delete(o.templates, tplKey(ns, name, kind == wfv1.KindClusterWorkflowTemplate))
	}
}
