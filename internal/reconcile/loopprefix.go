package reconcile

import (
	"github.com/semaflow/semaflow/api/wfv1"
)

// loopKept is what a loop's walk keeps in its loop entry across calls:
// the finished prefix, the leading items whose nodes ended without
// failing, with those nodes. It stands only while the kept node state
// (nodecache.go) is the one it was found on, whose nodes change only by
// the walk, which never reopens a finished node; the entry itself is
// replaced when the loop's list changes.
type loopKept struct {
	prefix int
	nodes  []*wfv1.NodeStatus
	state  *nodeState
	parent string
}

// keptLoop returns the loop's entry when this walk may use what it keeps
// (a cached expansion, a kept node state, items without hooks), and how
// many leading items are known finished.
func (o *op) keptLoop(base string, names []string, noHooks bool, at site) (*loopEntry, int) {
	if names == nil || !noHooks || o.state == nil || o.walk.cache == nil {
		return nil, 0
	}
	e := o.walk.cache.loops[base]
	if e == nil || len(e.names) != len(names) || (len(names) > 0 && &e.names[0] != &names[0]) {
		return nil, 0
	}
	k := &e.kept
	if k.state != o.state || k.parent != at.parentID || k.prefix > len(names) {
		return e, 0
	}
	return e, k.prefix
}

// restOfLoopNodeless says that no item after the current one has a node:
// seen items have one, and the parent has no more children (every item's
// node is made a child of at.parentID).
func (o *op) restOfLoopNodeless(e *loopEntry, at site, seen int) bool {
	if e == nil {
		return false
	}
	p := o.nodes[at.parentID]
	return p != nil && seen == len(p.Children)
}

// keepLoop records the finished prefix for the next call: the kept one
// up to start, then more, the nodes of the items after it.
func (o *op) keepLoop(e *loopEntry, more []*wfv1.NodeStatus, start int, at site) {
	if e == nil {
		return
	}
	k := &e.kept
	k.nodes = append(k.nodes[:start], more...)
	k.prefix, k.state, k.parent = len(k.nodes), o.state, at.parentID
}
