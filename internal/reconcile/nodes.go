package reconcile

import (
	"fmt"
	"strings"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// touch marks a node to be written; a node made past the node limit is
// not the workflow's and is never written.
func (o *op) touch(n *wfv1.NodeStatus) {
	if o.nodes[n.ID] == n {
		o.changed[n.ID] = true
	}
}

func (o *op) byName(name string) *wfv1.NodeStatus {
	n := o.nodes[NodeID(o.wf.Metadata.Name, name)]
	if n != nil && n.Name == name {
		return n
	}
	// Made under the alternative ID after a collision (the node that held
	// the ID may since have been removed by a retry).
	if n != nil || o.hasAlt {
		if n := o.nodes[altNodeID(o.wf.Metadata.Name, name)]; n != nil && n.Name == name {
			return n
		}
	}
	return nil
}

// newNode creates a node and links it under its parent. Past the node
// limit it records the limit and returns a node that is not linked nor
// kept, so the walk can unwind without growing the workflow.
func (o *op) newNode(name, display, typ, boundaryID, parentID string) *wfv1.NodeStatus {
	id := NodeID(o.wf.Metadata.Name, name)
	if other := o.nodes[id]; other != nil && other.Name != name {
		id = altNodeID(o.wf.Metadata.Name, name)
		o.hasAlt = true
	}
	n := &wfv1.NodeStatus{ID: id, Name: name, DisplayName: display, Type: typ,
		Phase: wfv1.PhaseRunning, BoundaryID: boundaryID, StartedAt: tp(o.now)}
	if o.overNodeLimit(name, boundaryID) {
		return n
	}
	o.nodes[id] = n
	o.nameBytes += len(name)
	o.touch(n)
	if p := o.nodes[parentID]; p != nil {
		p.Children = append(p.Children, id)
		o.touch(p)
		if o.parents != nil {
			o.parents[id] = parentID
		}
		if k, ok := o.kids[parentID]; ok {
			o.kids[parentID] = k + 1
		}
	}
	return n
}

// complete puts a node in a final phase once.
func (o *op) complete(n *wfv1.NodeStatus, phase, msg string) {
	if fulfilled(n) {
		return
	}
	if (n.Type == NodeSteps || n.Type == NodeDAG) && o.anyDaemoned() && o.stopDaemons(n.ID) {
		// It ends on a later walk, once its daemons are dead.
		return
	}
	if isDaemoned(n) {
		o.anyDaemoned()
		n.Daemoned = nil
		o.daemonCount--
	}
	n.Phase = phase
	if msg != "" {
		n.Message = msg
	}
	n.FinishedAt = tp(o.now)
	if isStep(n.Type) {
		o.activePods--
	}
	if len(o.kids) > 0 {
		if p, ok := o.parentIndex()[n.ID]; ok {
			if k, ok := o.kids[p]; ok {
				o.kids[p] = k - 1
			}
		}
	}
	if k, ok := o.failedIn[n.BoundaryID]; ok && countsAsUnsuccessful(n) {
		o.failedIn[n.BoundaryID] = k + 1
	}
	if phase == wfv1.PhaseSucceeded {
		o.memoSucceeded(n)
	}
	o.touch(n)
}

func fulfilled(n *wfv1.NodeStatus) bool {
	switch n.Phase {
	case wfv1.PhaseSucceeded, wfv1.PhaseFailed, wfv1.PhaseError, wfv1.PhaseSkipped, wfv1.PhaseOmitted:
		return true
	}
	return false
}

func isFinal(phase string) bool {
	switch phase {
	case wfv1.PhaseSucceeded, wfv1.PhaseFailed, wfv1.PhaseError:
		return true
	}
	return false
}

func isFailure(phase string) bool { return phase == wfv1.PhaseFailed || phase == wfv1.PhaseError }

func continues(c *wfv1.ContinueOn, phase string) bool {
	if c == nil {
		return false
	}
	return (phase == wfv1.PhaseFailed && c.Failed) || (phase == wfv1.PhaseError && c.Error)
}

func tp(t time.Time) *time.Time { return &t }

func ptr[T any](v T) *T { return &v }

func fmtTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// childFailed is a parent's message for a failed child. It keeps Argo's
// "child '<id>' failed" and carries the deepest cause up, so the
// workflow's message says what went wrong and where.
func childFailed(n *wfv1.NodeStatus) string {
	if strings.HasPrefix(n.Message, "child '") || n.Message == "" {
		if n.Message == "" {
			return fmt.Sprintf("child '%s' failed", n.ID)
		}
		return n.Message
	}
	return fmt.Sprintf("child '%s' failed: %s", n.ID, n.Message)
}
