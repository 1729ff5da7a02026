package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/reconcile"
	"github.com/semaflow/semaflow/internal/store"
)

// writeMemo applies a reconcile call's writes to memoization caches, the
// ConfigMaps Argo keeps them in, in one transaction made after the call's
// changes are stored. Each cache is locked before it is read, in key
// order, so that two engines saving to one cache at once lose neither
// entry (for one key the later write wins, as in Argo). A failed write
// loses cache entries, never results: later runs miss and run again.
func (e *Engine) writeMemo(ctx context.Context, ws []reconcile.MemoWrite) {
	if len(ws) == 0 {
		return
	}
	byCache := map[store.ObjectKey][]reconcile.MemoWrite{}
	for _, w := range ws {
		k := store.ObjectKey{Kind: wfv1.KindConfigMap, Namespace: w.Namespace, Name: w.Cache}
		byCache[k] = append(byCache[k], w)
	}
	keys := make([]store.ObjectKey, 0, len(byCache))
	for k := range byCache {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	now := e.now()
	var docs [][]byte
	err := e.store.Update(ctx, func(tx store.Tx) error {
		docs = docs[:0]
		for _, k := range keys {
			doc, err := e.writeCache(ctx, tx, k, byCache[k], now)
			if err != nil {
				return err
			}
			if doc != nil {
				docs = append(docs, doc)
			}
		}
		return nil
	})
	if err != nil {
		e.log.Warn("cannot write to memoization caches: later runs of these steps run again", "err", err)
		return
	}
	for _, doc := range docs {
		if err := e.objects.put(wfv1.KindConfigMap, doc); err != nil {
			e.log.Warn("cannot cache a memoization cache just written", "err", err)
		}
	}
}

// writeCache applies ws to one cache in tx and returns the document it
// stored; nil when the ConfigMap is not a cache (it is left alone).
func (e *Engine) writeCache(ctx context.Context, tx store.Tx, k store.ObjectKey, ws []reconcile.MemoWrite, now time.Time) ([]byte, error) {
	if err := tx.LockObject(ctx, k); err != nil {
		return nil, err
	}
	var cur *wfv1.ConfigMap
	o, err := tx.GetObject(ctx, k)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		cur = &wfv1.ConfigMap{}
		if err := json.Unmarshal(o.Doc, cur); err != nil {
			return nil, fmt.Errorf("memoization cache %s: %w", k, err)
		}
	}
	cm, evicted, err := reconcile.ApplyMemoWrites(cur, k.Namespace, k.Name, ws, now, reconcile.DefaultMemoBounds)
	if errors.Is(err, reconcile.ErrNotACache) {
		// Reconcile refused it at lookup; it was relabelled since.
		e.log.Warn("memoization cache left alone", "namespace", k.Namespace, "err", err)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(evicted) > 0 {
		e.log.Info("memoization cache full: least recently hit entries evicted", "cache", k.String(), "evicted", len(evicted),
			"maxEntries", reconcile.DefaultMemoBounds.MaxEntries, "maxBytes", reconcile.DefaultMemoBounds.MaxBytes)
	}
	doc, err := json.Marshal(cm)
	if err != nil {
		return nil, err
	}
	if err := tx.PutObject(ctx, store.Object{Kind: k.Kind, Namespace: k.Namespace, Name: k.Name, Doc: doc, UpdatedAt: now}); err != nil {
		return nil, err
	}
	return doc, nil
}
