package reconcile

import (
	"fmt"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/spec"
)

// loopLimitError is a loop with more items than the limit allows; it is
// found before the items are made.
type loopLimitError struct {
	field string
	items int64
	limit int
}

func (e *loopLimitError) Error() string {
	return fmt.Sprintf("%s has %d items, over the limit of %d items per loop (max-loop-items)", e.field, e.items, e.limit)
}

// exceed records the first limit met in this call: from then on nothing
// new starts, and stopAtLimit ends the workflow.
func (o *op) exceed(msg string) {
	if o.abort == "" {
		o.abort = msg
	}
}

// overNodeLimit says whether one more node named name would pass a limit
// (the node count, its name's length, the sum of names), and records it if
// so; boundaryID says where, for the message.
func (o *op) overNodeLimit(name, boundaryID string) bool {
	var msg string
	switch {
	case len(o.nodes) >= o.limits.MaxNodes:
		msg = fmt.Sprintf("node %q would pass the limit of %d nodes per workflow (max-nodes)", clip(name), o.limits.MaxNodes)
	case len(name) > o.limits.MaxNodeName:
		msg = fmt.Sprintf("node %q is %d bytes long, over the limit of %d bytes per node name (max-node-name)",
			clip(name), len(name), o.limits.MaxNodeName)
	case o.nameBytes+len(name) > o.limits.MaxNodeNameBytes:
		msg = fmt.Sprintf("node %q would bring the workflow's node names to %d bytes, over the limit of %d bytes (max-node-name-bytes)",
			clip(name), o.nameBytes+len(name), o.limits.MaxNodeNameBytes)
	default:
		return false
	}
	if o.abort != "" {
		return true
	}
	if len(o.nodes) >= o.limits.MaxNodes {
		o.exceed(o.runaway(msg))
	} else {
		o.exceed(fmt.Sprintf("template %q: %s; does a template call itself without end?", clip(o.boundaryTemplate(boundaryID)), msg))
	}
	return true
}

// runaway words the node limit's message: it names the template with the
// most nodes, the one that ran away, and whether it retried or recursed.
// It walks every node, once per workflow: the first limit met ends it.
func (o *op) runaway(msg string) string {
	count := map[string]int{}
	retries := map[string]int{}
	for _, n := range o.nodes {
		name := n.TemplateName
		if name == "" && n.TemplateRef != nil {
			name = n.TemplateRef.Name + "/" + n.TemplateRef.Template
		}
		if name == "" {
			continue // groups: they belong to the template around them
		}
		count[name]++
		if n.NodeFlag != nil && n.NodeFlag.Retried {
			retries[name]++
		}
	}
	top := ""
	for name, k := range count {
		if k > count[top] || (k == count[top] && name < top) {
			top = name
		}
	}
	if top == "" {
		return msg
	}
	why := "does it call itself without end?"
	if 2*retries[top] > count[top] {
		why = "it retries without end: give its retryStrategy a limit"
	}
	return fmt.Sprintf("template %q ran away with %d of the workflow's %d nodes (%s): %s", clip(top), count[top], len(o.nodes), why, msg)
}

// clipKeep is how much of each end of a long name a message keeps: the
// start says which workflow, the end which step.
const clipKeep = 100

// clip shortens a name for a message, as nested node names can be
// thousands of bytes.
func clip(s string) string {
	if len(s) <= 2*clipKeep {
		return s
	}
	return strings.ToValidUTF8(s[:clipKeep]+"…"+s[len(s)-clipKeep:], "")
}

// boundaryTemplate names the template whose steps or tasks are at
// boundaryID, for messages.
func (o *op) boundaryTemplate(boundaryID string) string {
	if b := o.nodes[boundaryID]; b != nil && b.TemplateName != "" {
		return b.TemplateName
	}
	return o.spec.Entrypoint
}

// stopAtLimit ends a workflow that met a limit as a terminate does, and
// records the shutdown in its spec so that no later call (nor an engine
// restart) walks it again. Running steps are killed; the workflow fails
// at once when none runs, else when the last one has exited, so a
// permit is released only once its step is gone.
func (o *op) stopAtLimit() {
	// A workflow already stopping says why it stops (the request, the
	// deadline), not that its Skipped bookkeeping nodes passed the limit.
	if o.shutdown == "" || o.wf.Status.Message == "" {
		o.wf.Status.Message = o.abort
	}
	msg := o.wf.Status.Message
	o.shutdown = "Terminate"
	o.wf.Spec.Shutdown = "Terminate"
	o.stopActive()
	running := false
	for _, n := range o.nodes {
		if isActivePod(n) {
			running = true
		}
	}
	// Steps planned in this call never start: stopActive failed them.
	o.dropUnlaunched()
	kept := o.plan.Start[:0]
	for _, l := range o.plan.Start {
		if n := o.nodes[l.NodeID]; n != nil && !fulfilled(n) {
			kept = append(kept, l)
		} else {
			delete(o.plan.Kill, l.NodeID)
		}
	}
	o.plan.Start = kept
	if running {
		return
	}
	for _, n := range o.nodes {
		if !fulfilled(n) {
			o.complete(n, wfv1.PhaseFailed, msg)
		}
	}
	o.failWorkflow(wfv1.PhaseFailed, msg)
}

// loopLimitMessage turns a loop's limit error into the workflow's message.
func (o *op) loopLimitMessage(e *loopLimitError, boundaryID, step string) string {
	return fmt.Sprintf("step %q: %s", step, spec.LoopTooLarge(o.boundaryTemplate(boundaryID), e.field, int(e.items), e.limit))
}

// overOutputLimit says whether a step's outputs would bring the
// workflow's kept outputs past max-output-bytes; if so the step ends in
// Error without them and the workflow stops, naming the limit.
func (o *op) overOutputLimit(n *wfv1.NodeStatus, out *wfv1.Outputs) bool {
	size := outputSize(out)
	if o.outputBytes+size <= o.limits.MaxOutputBytes {
		o.outputBytes += size
		return false
	}
	msg := fmt.Sprintf("step %q: its outputs (%d bytes) would bring the workflow's output parameters and results to %d bytes, over the limit of %d bytes (max-output-bytes)",
		clip(n.Name), size, o.outputBytes+size, o.limits.MaxOutputBytes)
	n.Outputs = &wfv1.Outputs{ExitCode: out.ExitCode}
	o.complete(n, wfv1.PhaseError, msg)
	o.exceed(msg)
	return true
}

// outputSize is what a node's outputs weigh in the status.
func outputSize(out *wfv1.Outputs) int {
	if out == nil {
		return 0
	}
	size := 0
	if out.Result != nil {
		size += len(*out.Result)
	}
	for _, p := range out.Parameters {
		size += len(p.Name)
		if p.Value != nil {
			size += len(*p.Value)
		}
	}
	return size
}
