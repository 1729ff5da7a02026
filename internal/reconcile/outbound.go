package reconcile

import (
	"fmt"

	"github.com/semaflow/semaflow/api/wfv1"
)

// outbound is a node's leaves as Argo's getOutboundNodes finds them (the
// UI draws the edges out of a steps or DAG node from them): a pod,
// skipped or suspend node is its own, a Retry node's is its last attempt,
// a TaskGroup's are its children's, and a steps or DAG node's are those of
// the outbound nodes it recorded when it finished. The walk follows the
// node tree, whose depth the template depth limit bounds.
func (o *op) outbound(id string) []string {
	n := o.nodes[id]
	if n == nil {
		return nil
	}
	switch n.Type {
	case NodePod, NodeHTTP, NodeSkipped, NodeSuspend:
		return []string{n.ID}
	case NodeTaskGroup:
		if len(n.Children) == 0 {
			return []string{n.ID}
		}
		var out []string
		for _, c := range n.Children {
			out = append(out, o.outbound(c)...)
		}
		return out
	case NodeRetry:
		if len(n.Children) > 0 {
			return []string{n.Children[len(n.Children)-1]}
		}
	}
	var out []string
	for _, c := range n.OutboundNodes {
		out = append(out, o.outbound(c)...)
	}
	return out
}

// setStepsOutbound records a steps node's outbound nodes: the leaves of
// the steps of its last step group that exists, as Argo's
// updateOutboundNodes.
func (o *op) setStepsOutbound(node *wfv1.NodeStatus, tmpl *wfv1.Template) {
	for i := len(tmpl.Steps) - 1; i >= 0; i-- {
		g := o.byName(fmt.Sprintf("%s[%d]", node.Name, i))
		if g == nil {
			continue
		}
		var out []string
		for _, c := range g.Children {
			out = append(out, o.outbound(c)...)
		}
		o.setOutboundNodes(node, out)
		return
	}
}

// setOutbound records a DAG node's outbound nodes: the leaves of its
// target tasks, as Argo's updateOutboundNodesForTargetTasks.
func (d *dagRun) setOutbound(targets []string) {
	var out []string
	for _, name := range targets {
		if n := d.nodeOf(name); n != nil {
			out = append(out, d.o.outbound(n.ID)...)
		}
	}
	d.o.setOutboundNodes(d.node, out)
}

// setOutboundNodes sets a node's outbound nodes, remembering what they
// were: a node whose end waits for its daemons is not written, and its
// kept copy must not keep what the call set (untouched).
func (o *op) setOutboundNodes(n *wfv1.NodeStatus, out []string) {
	if o.state != nil {
		if o.untouched == nil {
			o.untouched = map[*wfv1.NodeStatus][]string{}
		}
		if _, ok := o.untouched[n]; !ok {
			o.untouched[n] = n.OutboundNodes
		}
	}
	n.OutboundNodes = out
}

// untouch restores, on the kept copies, what this call set on nodes it
// then did not write: the walk before the nodes were kept dropped such
// edits with its copies.
func (o *op) untouch() {
	for n, out := range o.untouched {
		if !o.changed[n.ID] || o.nodes[n.ID] != n {
			n.OutboundNodes = out
		}
	}
}
