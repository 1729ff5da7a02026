package reconcile

import (
	"strconv"

	"github.com/semaflow/semaflow/api/wfv1"
)

// progress is N of M units of work done.
type progress struct{ done, total int }

func (p progress) String() string { return strconv.Itoa(p.done) + "/" + strconv.Itoa(p.total) }

// countsAsWork says whether a node type is a unit of progress, as Argo's
// progress updater has it: the nodes that run something (here pods and
// suspend nodes). Parents only sum what is below them.
func countsAsWork(typ string) bool { return isStep(typ) || typ == NodeSuspend }

// workDone is Argo's rule for a unit being complete: it succeeded, or it
// was skipped or omitted. A failed or errored pod is not progress, so a
// workflow whose only pod failed shows 0/1.
func workDone(phase string) bool {
	return phase == wfv1.PhaseSucceeded || phase == wfv1.PhaseSkipped || phase == wfv1.PhaseOmitted
}

// updateProgress sets every node's progress and the workflow's: a unit of
// work is 0/1 until done, then 1/1; a parent is the sum of the units
// below it (left unset while it has none); the workflow is the sum of all
// units, exit handlers included.
func (o *op) updateProgress() {
	if s := o.state; s != nil && s.prog != nil {
		if o.updateProgressKept(s.prog) {
			return
		}
		s.prog = nil
	}
	var all progress
	sums := make(map[string]progress, len(o.nodes))
	for _, n := range o.nodes {
		if !countsAsWork(n.Type) {
			continue
		}
		p := unitOf(n)
		sums[n.ID] = p
		all = all.add(p)
	}
	// seen marks the nodes each sumBelow visits, by call number: one map
	// for all calls instead of one per call.
	seen := make(map[string]int, len(o.nodes))
	call := 0
	for _, n := range o.nodes {
		p, ok := sums[n.ID]
		if !ok {
			call++
			p = o.sumBelow(n, sums, seen, call)
		}
		if p.total == 0 {
			continue
		}
		if s := p.String(); n.Progress != s {
			n.Progress = s
			o.touch(n)
		}
	}
	o.wf.Status.Progress = all.String()
	if o.state != nil {
		o.state.prog = keepProgress(o.nodes, sums, all)
	}
}

// sumBelow adds up the units of work under n, memoising each parent's sum
// in sums. Node children form a tree, so every node is visited once; the
// nodes seen in this call (seen[id] == call) keep a damaged status (a
// cycle) from looping.
func (o *op) sumBelow(n *wfv1.NodeStatus, sums map[string]progress, seen map[string]int, call int) progress {
	seen[n.ID] = call
	var walk func(n *wfv1.NodeStatus) progress
	walk = func(n *wfv1.NodeStatus) progress {
		if p, ok := sums[n.ID]; ok {
			return p
		}
		var p progress
		for _, id := range n.Children {
			c := o.nodes[id]
			if c == nil || seen[id] == call {
				continue
			}
			seen[id] = call
			cp := walk(c)
			p.done += cp.done
			p.total += cp.total
		}
		sums[n.ID] = p
		return p
	}
	return walk(n)
}
