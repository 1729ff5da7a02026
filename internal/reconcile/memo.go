package reconcile

import (
	"fmt"
	"regexp"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
)

// MemoWrite asks the engine to write to a memoization cache: a
// Succeeded node's outputs under its key, or, for a hit, the time of the
// hit on the entry it used (as Argo records it).
type MemoWrite struct {
	Namespace, Cache, Key string
	NodeID                string
	Outputs               *wfv1.Outputs
	Hit                   bool
}

// memoKeyRE is the key Argo's caches accept: a ConfigMap key without '.'
// or '_'.
var memoKeyRE = regexp.MustCompile(`^[a-zA-Z0-9][-a-zA-Z0-9]*$`)

// memoize looks a memoized template's node up in its cache, once, when
// the node may first run (for a node under a lock, once it holds it). On a
// hit the node takes the cached outputs and Succeeds without running; on
// a miss it runs, and its outputs are saved if it Succeeds (complete).
// It reports whether the node is done.
func (o *op) memoize(node *wfv1.NodeStatus, tmpl *wfv1.Template, scope expr.Scope) bool {
	m := tmpl.Memoize
	fail := func(format string, args ...any) bool {
		o.complete(node, wfv1.PhaseError, fmt.Sprintf("template %q: ", tmpl.Name)+fmt.Sprintf(format, args...))
		return true
	}
	if m.Cache == nil || m.Cache.ConfigMap == nil || m.Cache.ConfigMap.Name == "" {
		return fail("memoize.cache.configMap.name is required")
	}
	key, err := expr.Replace(m.Key, scope, true)
	if err != nil {
		return fail("memoize.key: %v", err)
	}
	if !memoKeyRE.MatchString(key) {
		return fail("invalid memoize key %q: a key is letters, digits and '-', starting with a letter or digit", key)
	}
	cache, err := expr.Replace(m.Cache.ConfigMap.Name, scope, true)
	if err != nil {
		return fail("memoize.cache.configMap.name: %v", err)
	}
	maxAge := time.Duration(-1)
	if m.MaxAge != "" {
		s, err := expr.Replace(m.MaxAge, scope, true)
		if err != nil {
			return fail("memoize.maxAge: %v", err)
		}
		// Argo reads maxAge as a Go duration: a bare number is refused.
		if maxAge, err = time.ParseDuration(s); err != nil {
			return fail("invalid memoize maxAge %q: %v", s, err)
		}
	}
	ns := o.wf.Metadata.Namespace
	entry, err := o.memoLookup(ns, cache, key)
	if err != nil {
		return fail("memoize: %v", err)
	}
	hit := entry != nil && entry.NodeID != "" && (maxAge < 0 || o.now.Sub(entry.CreationTimestamp) <= maxAge)
	node.MemoizationStatus = &wfv1.MemoizationStatus{Hit: hit, Key: key, CacheName: cache}
	o.touch(node)
	if !hit {
		return false
	}
	if node.Type == NodeRetry {
		// Nothing is retried: the node is what the template makes, as in
		// Argo.
		node.Type = nodeType(tmpl)
		if node.Type == NodePod {
			o.activePods++ // complete counts it out
		}
	}
	node.Outputs = copyOutputs(entry.Outputs)
	o.complete(node, wfv1.PhaseSucceeded, "")
	o.plan.Memo = append(o.plan.Memo, MemoWrite{Namespace: ns, Cache: cache, Key: key, NodeID: node.ID, Hit: true})
	return true
}

// memoLookup finds the entry of key in a cache: one saved earlier in this
// call, else the stored one. A missing cache or entry is a miss; so is a
// damaged entry, which the node's save replaces.
func (o *op) memoLookup(ns, cache, key string) (*MemoEntry, error) {
	if e := o.memoFresh[ns+"/"+cache+"/"+key]; e != nil {
		return e, nil
	}
	cm := o.res.ConfigMap(ns, cache)
	if cm == nil {
		return nil, nil
	}
	if !IsMemoCache(cm) {
		return nil, notACache(cache)
	}
	raw := cm.Data[key]
	if raw == "" {
		return nil, nil
	}
	e, err := ParseMemoEntry(raw)
	if err != nil {
		return nil, nil
	}
	return e, nil
}

// memoSucceeded records a memoized node that Succeeded after a miss: its
// outputs are saved (finish plans the write), and later nodes of this
// call with the same key already see them. A step whose result was cut
// (a message on a Succeeded node) is not saved: a hit would pass the cut
// result off as whole.
func (o *op) memoSucceeded(n *wfv1.NodeStatus) {
	ms := n.MemoizationStatus
	if ms == nil || ms.Hit || n.Message != "" || o.nodes[n.ID] != n {
		return
	}
	if o.memoFresh == nil {
		o.memoFresh = map[string]*MemoEntry{}
	}
	o.memoFresh[o.wf.Metadata.Namespace+"/"+ms.CacheName+"/"+ms.Key] = &MemoEntry{NodeID: n.ID, Outputs: n.Outputs,
		CreationTimestamp: o.now, LastHitTimestamp: o.now}
	o.memoSaves = append(o.memoSaves, n.ID)
}

// planMemoSaves turns the saves of this call into writes, with each
// node's outputs as they ended.
func (o *op) planMemoSaves() {
	for _, id := range o.memoSaves {
		n := o.nodes[id]
		ms := n.MemoizationStatus
		o.plan.Memo = append(o.plan.Memo, MemoWrite{Namespace: o.wf.Metadata.Namespace, Cache: ms.CacheName, Key: ms.Key,
			NodeID: id, Outputs: copyOutputs(n.Outputs)})
	}
}

func copyOutputs(out *wfv1.Outputs) *wfv1.Outputs {
	if out == nil {
		return nil
	}
	c := *out
	c.Parameters = append([]wfv1.Parameter(nil), out.Parameters...)
	c.Artifacts = append([]wfv1.Artifact(nil), out.Artifacts...)
	return &c
}
