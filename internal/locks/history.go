package locks

import (
	"context"
	"strings"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/eta"
	"github.com/semaflow/semaflow/internal/store"
)

// maxTemplates bounds the per-template digests kept for one lock: a lock
// taken by more templates keeps only its own digest for the others' holds.
const maxTemplates = 32

// HistoryKey is the key of a template's hold-time history
// (Request.Template): the group that defines the template (for the
// engine, a WorkflowTemplate or the pipeline a workflow is a run of) and
// the template, empty for a workflow's own locks. "|" occurs in neither
// (Kubernetes names, template names) and marks keys of this form: digests
// stored under the bare template names of earlier versions, which
// unrelated workflows shared, are not read back, nor counted against
// maxTemplates. Their rows stay in the store, at most maxTemplates+1 per
// lock.
func HistoryKey(group, template string) string { return group + "|" + template }

// currentKey says whether a stored template key is a HistoryKey ("" is
// the lock's own digest).
func currentKey(k string) bool { return k == "" || strings.Contains(k, "|") }

// history is the manager's hold-time history and what start estimates
// need besides the queues: the digests by lock and template (the store's
// copy, changed in the transactions that end holds), each holder's and
// waiter's template, and a cache of estimates. Guarded by the manager's
// mutex.
type history struct {
	digests  map[string]map[string]*eta.Digest // lock → template ("": every hold)
	template map[string]string                 // holder → template, holding or waiting
	// guessed holders hold since a time the store did not keep: their
	// hold time is not recorded.
	guessed map[string]bool
	// version rises with every operation and rebuild: cached estimates
	// of an older version are stale.
	version uint64
	cache   estimateCache
}

func newHistory() history {
	return history{digests: map[string]map[string]*eta.Digest{}, template: map[string]string{},
		guessed: map[string]bool{}, cache: estimateCache{byLock: map[string]cachedStarts{}}}
}

// restore takes the history from stored lock state. A digest the store
// holds but this version cannot read is dropped: history only improves
// estimates, and the next hold of that lock writes a good one.
func (h *history) restore(st *store.LockState) {
	h.version++
	clear(h.digests)
	for _, s := range st.Stats {
		d := &eta.Digest{}
		if !currentKey(s.Template) || d.UnmarshalText([]byte(s.Digest)) != nil {
			continue
		}
		h.byLock(s.Lock)[s.Template] = d
	}
	clear(h.template)
	for _, w := range st.Waiters {
		if w.Template != "" {
			h.template[w.Holder] = w.Template
		}
	}
	for holder, info := range st.HoldInfo {
		if info.Template != "" {
			h.template[holder] = info.Template
		}
	}
	for holder := range h.guessed {
		if _, held := st.Holds[holder]; !held || !st.HoldInfo[holder].Since.IsZero() {
			delete(h.guessed, holder)
		}
	}
}

func (h *history) byLock(lock string) map[string]*eta.Digest {
	m := h.digests[lock]
	if m == nil {
		m = map[string]*eta.Digest{}
		h.digests[lock] = m
	}
	return m
}

// record adds a hold time of holder to the digests of each lock it held,
// the lock's and its template's, and stores them in tx. An unknown hold
// time (known false) is not recorded. The holder is forgotten.
func (h *history) record(ctx context.Context, tx store.Tx, holder string, held []domain.Token, d time.Duration, known bool) error {
	tmpl := h.template[holder]
	h.forget(holder)
	if !known {
		return nil
	}
	for _, t := range held {
		ds := h.byLock(t.Lock)
		keys := []string{""}
		if tmpl != "" && currentKey(tmpl) && (ds[tmpl] != nil || len(ds) <= maxTemplates) {
			keys = append(keys, tmpl)
		}
		for _, k := range keys {
			dg := ds[k]
			if dg == nil {
				dg = &eta.Digest{}
				ds[k] = dg
			}
			dg.Add(d)
			text, err := dg.MarshalText()
			if err != nil {
				return err
			}
			if err := tx.PutHoldStats(ctx, store.HoldStats{Lock: t.Lock, Template: k, Digest: string(text)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// forget drops what is kept of a holder that left.
func (h *history) forget(holder string) {
	delete(h.template, holder)
	delete(h.guessed, holder)
}
