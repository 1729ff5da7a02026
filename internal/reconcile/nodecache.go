package reconcile

import (
	"reflect"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// nodeState is what a call would otherwise rebuild from every node: the
// working copies of the nodes and the sums over them. A Cache keeps it
// from one call to the next, so a call costs what it changes, not the
// workflow's size.
//
// It is valid only while the workflow's node map holds exactly what the
// last call left: the same workflow object, the same map, as many nodes,
// and no call or outside change in between. The engine changes a running
// workflow's nodes outside the reconcile in one place (a lock's waiting
// message), through Cache.SetWaitingMessage; anything else must call
// Cache.Reset. A call that panicked leaves it busy, which invalidates it.
type nodeState struct {
	wf   *wfv1.Workflow
	name string
	// src is the node map the last call left. Held, not only its address:
	// a map the engine replaced (a rolled-back fold puts back a decoded
	// copy) could otherwise be freed and a new one made at that address.
	src map[string]wfv1.NodeStatus
	// nodes are the working copies; after a call each equals its entry
	// in wf.Status.Nodes.
	nodes map[string]*wfv1.NodeStatus
	// The sums over wf.Status.Nodes as the last call left it.
	nameBytes, outputBytes, activePods, daemoned int
	hasAlt                                       bool
	// prog holds the progress sums; nil when the node tree is not a clean
	// tree (then progress is summed in full on every call).
	prog *progState
	busy bool
}

// progState is every node's progress sum and the workflow's.
type progState struct {
	sums   map[string]progress
	parent map[string]string
	all    progress
}

func mapID(m map[string]wfv1.NodeStatus) uintptr {
	if m == nil {
		return 0
	}
	return reflect.ValueOf(m).Pointer()
}

// nodesFor returns the kept state when it is valid for wf, else nil.
func (c *Cache) nodesFor(wf *wfv1.Workflow) *nodeState {
	s := c.state
	if s == nil || s.busy || s.wf != wf || s.name != wf.Metadata.Name ||
		mapID(s.src) != mapID(wf.Status.Nodes) || len(s.nodes) != len(wf.Status.Nodes) {
		c.state = nil
		return nil
	}
	return s
}

// Reset drops what the cache keeps of the workflow's nodes; the next call
// rebuilds it. The engine calls it after changing a running workflow's
// nodes other than through the cache.
func (c *Cache) Reset() {
	c.state = nil
}

// SetWaitingMessage is the package's SetWaitingMessage on a workflow whose
// reconciles use c: the kept copy of the node changes with it.
func (c *Cache) SetWaitingMessage(wf *wfv1.Workflow, holder, msg string) string {
	id := SetWaitingMessage(wf, holder, msg)
	if id == "" {
		return id
	}
	s := c.state
	if s == nil || s.busy || s.wf != wf {
		c.state = nil
		return id
	}
	if n := s.nodes[id]; n != nil {
		n.Message = wf.Status.Nodes[id].Message
	} else {
		c.state = nil
	}
	return id
}

// contrib is one node's part of the kept sums.
type contrib struct {
	name, out, active, daemoned int
	alt                         bool
}

func contribOf(n *wfv1.NodeStatus, id, altPrefix string) contrib {
	k := contrib{name: len(n.Name), alt: strings.HasPrefix(id, altPrefix)}
	if isDaemoned(n) {
		k.daemoned = 1
	}
	if isStep(n.Type) {
		k.out = outputSize(n.Outputs)
		if isActivePod(n) {
			k.active = 1
		}
	}
	return k
}

// startNodes fills o.nodes and the sums for this call: from the cache when
// it is valid, else by copying every node.
func (o *op) startNodes() {
	wf := o.wf
	altPrefix := wf.Metadata.Name + "-x"
	c := o.walk.cache
	if c != nil && !o.walk.legacy {
		if s := c.nodesFor(wf); s != nil {
			o.nodes, o.state = s.nodes, s
			s.busy = true
			o.nameBytes, o.outputBytes, o.hasAlt = s.nameBytes, s.outputBytes, s.hasAlt
			return
		}
	}
	o.nodes = make(map[string]*wfv1.NodeStatus, len(wf.Status.Nodes))
	var s *nodeState
	if c != nil && !o.walk.legacy {
		s = &nodeState{wf: wf, name: wf.Metadata.Name, nodes: o.nodes}
	}
	// The working copies share one allocation: a node each would be
	// thousands of small objects for the collector on every call.
	slab := make([]wfv1.NodeStatus, 0, len(wf.Status.Nodes))
	for id, n := range wf.Status.Nodes {
		slab = append(slab, n)
		n := &slab[len(slab)-1]
		o.nodes[id] = n
		k := contribOf(n, id, altPrefix)
		o.nameBytes += k.name
		o.outputBytes += k.out
		o.hasAlt = o.hasAlt || k.alt
		if s != nil {
			s.activePods += k.active
			s.daemoned += k.daemoned
		}
	}
	if s != nil {
		s.nameBytes, s.outputBytes, s.hasAlt = o.nameBytes, o.outputBytes, o.hasAlt
		s.busy = true
		o.state = s
		c.state = s
	}
}

// isActivePod says n is a step that holds a pod slot: started or to
// start, not finished, not waiting for a lock.
func isActivePod(n *wfv1.NodeStatus) bool {
	return isStep(n.Type) && !fulfilled(n) && !isWaitingForLock(n)
}

// countActivePods counts the pods not yet finished, for spec.parallelism:
// from the kept count and this call's changes so far when the state is
// kept, else over every node.
func (o *op) countActivePods() {
	s := o.state
	if s == nil {
		for _, n := range o.nodes {
			if isActivePod(n) {
				o.activePods++
			}
		}
		return
	}
	o.activePods = s.activePods
	for id := range o.changed {
		n := o.nodes[id]
		if isActivePod(n) {
			o.activePods++
		}
		if old, had := o.wf.Status.Nodes[id]; had && isActivePod(&old) {
			o.activePods--
		}
	}
}

// keepNode folds one changed node, before it is written over old, into
// the kept sums.
func (o *op) keepNode(id string, old wfv1.NodeStatus, had bool) {
	s := o.state
	if s == nil {
		return
	}
	altPrefix := o.wf.Metadata.Name + "-x"
	k := contribOf(o.nodes[id], id, altPrefix)
	s.nameBytes += k.name
	s.outputBytes += k.out
	s.activePods += k.active
	s.daemoned += k.daemoned
	s.hasAlt = s.hasAlt || k.alt
	if had {
		k := contribOf(&old, id, altPrefix)
		s.nameBytes -= k.name
		s.outputBytes -= k.out
		s.activePods -= k.active
		s.daemoned -= k.daemoned
	}
}

// endNodes marks the kept state consistent with the written workflow.
func (o *op) endNodes() {
	s := o.state
	if s == nil {
		return
	}
	o.untouch()
	s.src = o.wf.Status.Nodes
	s.busy = false
}
