package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/store"
)

// objects caches the ConfigMaps and WorkflowTemplates applied to the
// store, so reconcile never queries the database for them.
type objects struct {
	// parallelism and nsParallelism cap running workflows (0: no cap).
	parallelism, nsParallelism int

	mu        sync.RWMutex
	templates map[string]*wfv1.WorkflowTemplate // "<ns>/<name>" or "cluster//<name>"
	cms       map[string]*wfv1.ConfigMap
}

func newObjects() *objects {
	return &objects{templates: map[string]*wfv1.WorkflowTemplate{}, cms: map[string]*wfv1.ConfigMap{}}
}

func tplKey(ns, name string, cluster bool) string {
	if cluster {
		return "cluster//" + name
	}
	return ns + "/" + name
}

func (o *objects) WorkflowTemplate(ns, name string, cluster bool) *wfv1.WorkflowTemplate {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.templates[tplKey(ns, name, cluster)]
}

func (o *objects) ConfigMap(ns, name string) *wfv1.ConfigMap {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.cms[ns+"/"+name]
}

// load fills the cache from the store.
func (o *objects) load(ctx context.Context, s store.Store) error {
	return s.View(ctx, func(tx store.Tx) error {
		for _, kind := range []string{wfv1.KindWorkflowTemplate, wfv1.KindClusterWorkflowTemplate, wfv1.KindConfigMap} {
			list, err := tx.ListObjects(ctx, store.ObjectListOptions{Kind: kind})
			if err != nil {
				return err
			}
			for _, obj := range list {
				if err := o.put(kind, obj.Doc); err != nil {
					return fmt.Errorf("stored %s %s/%s: %w", kind, obj.Namespace, obj.Name, err)
				}
			}
		}
		return nil
	})
}

func (o *objects) put(kind string, doc []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch kind {
	case wfv1.KindConfigMap:
		var cm wfv1.ConfigMap
		if err := json.Unmarshal(doc, &cm); err != nil {
			return err
		}
		o.cms[cm.Metadata.Namespace+"/"+cm.Metadata.Name] = &cm
	default:
		var wt wfv1.WorkflowTemplate
		if err := json.Unmarshal(doc, &wt); err != nil {
			return err
		}
		o.templates[tplKey(wt.Metadata.Namespace, wt.Metadata.Name, kind == wfv1.KindClusterWorkflowTemplate)] = &wt
	}
	return nil
}

// Apply stores ConfigMaps and (Cluster)WorkflowTemplates, replacing those
// of the same name, and makes them visible to workflows at once.
func (e *Engine) Apply(ctx context.Context, cms []*wfv1.ConfigMap, tpls []*wfv1.WorkflowTemplate) error {
	type item struct {
		kind, ns, name string
		doc            []byte
	}
	var items []item
	for _, cm := range cms {
		if err := e.checkLimitChange(cm.Metadata.Namespace, cm.Metadata.Name, cm.Data); err != nil {
			return err
		}
		doc, err := json.Marshal(cm)
		if err != nil {
			return err
		}
		items = append(items, item{wfv1.KindConfigMap, cm.Metadata.Namespace, cm.Metadata.Name, doc})
	}
	for _, wt := range tpls {
		kind := wt.Kind
		if kind == "" {
			kind = wfv1.KindWorkflowTemplate
		}
		ns := wt.Metadata.Namespace
		if kind == wfv1.KindClusterWorkflowTemplate {
			ns = ""
		}
		doc, err := json.Marshal(wt)
		if err != nil {
			return err
		}
		items = append(items, item{kind, ns, wt.Metadata.Name, doc})
	}
	now := e.now()
	for _, it := range items {
		if err := e.objects.put(it.kind, it.doc); err != nil {
			return err
		}
	}
	var grants []domain.Grant
	err := e.store.Update(ctx, func(tx store.Tx) error {
		grants = nil
		for _, it := range items {
			if err := tx.PutObject(ctx, store.Object{Kind: it.kind, Namespace: it.ns, Name: it.name, Doc: it.doc, UpdatedAt: now}); err != nil {
				return fmt.Errorf("%s %s: %w", it.kind, it.name, err)
			}
			if it.kind == wfv1.KindConfigMap {
				// A changed limit applies at once: an increase grants now.
				gs, err := e.locks.Refresh(ctx, tx, it.ns, it.name, now)
				if err != nil {
					return err
				}
				grants = append(grants, gs...)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	e.deliver(grants)
	return nil
}

// parallelismKey is the lock of --parallelism, engine-wide.
var parallelismKey = domain.LockKey{Namespace: "semaflow", Kind: domain.LockEngine, Name: "parallelism"}.String()

// Throttles are the engine-wide locks of --parallelism and
// --namespace-parallelism.
func (o *objects) Throttles(namespace string) []spec.LockRef {
	var out []spec.LockRef
	if o.parallelism > 0 {
		out = append(out, spec.LockRef{Key: parallelismKey, Kind: spec.LockEngine, Limit: o.parallelism})
	}
	if o.nsParallelism > 0 {
		key := domain.LockKey{Namespace: namespace, Kind: domain.LockEngine, Name: "namespace-parallelism"}.String()
		out = append(out, spec.LockRef{Key: key, Kind: spec.LockEngine,
			Namespace: namespace, Limit: o.nsParallelism})
	}
	return out
}
