package reconcile

import (
	"fmt"
	"slices"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/spec"
)

// SetValues is `argo node set`: what to set on the waiting suspend nodes
// Selector matches. Phase is "", Succeeded, Failed or Error.
type SetValues struct {
	Selector string
	Phase    string
	Message  string
	Outputs  map[string]string
}

// CheckSet says why v cannot be applied to wf, in Argo's words, or nil.
// The engine asks before it sends a SetNode event; one that comes anyway
// and no longer applies changes nothing.
func CheckSet(wf *wfv1.Workflow, v SetValues) error {
	nodes := make(map[string]*wfv1.NodeStatus, len(wf.Status.Nodes))
	for id, n := range wf.Status.Nodes {
		nodes[id] = &n
	}
	_, err := setTargets(nodes, v)
	return err
}

// setTargets checks v against nodes and answers copies of the matching
// waiting suspend nodes with v applied; nothing is changed in nodes.
func setTargets(nodes map[string]*wfv1.NodeStatus, v SetValues) ([]wfv1.NodeStatus, error) {
	switch v.Phase {
	case "", wfv1.PhaseSucceeded, wfv1.PhaseFailed, wfv1.PhaseError:
	default:
		return nil, fmt.Errorf("%.40s is an invalid phase to set to", v.Phase)
	}
	sel, err := spec.ParseSelector(v.Selector, knownNodeField)
	if err != nil {
		return nil, &SelectorError{Err: fmt.Errorf("node %w", err)}
	}
	ids := make([]string, 0, len(nodes))
	for id := range nodes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var out []wfv1.NodeStatus
	for _, id := range ids {
		n := nodes[id]
		if n.Type != NodeSuspend || n.Phase != wfv1.PhaseRunning || !sel.Matches(nodeFields(n)) {
			continue
		}
		c := *n
		if c.Outputs != nil {
			outs := *c.Outputs
			outs.Parameters = slices.Clone(outs.Parameters)
			c.Outputs = &outs
		}
		if err := setOutputs(&c, v.Outputs); err != nil {
			return nil, err
		}
		if v.Phase == wfv1.PhaseSucceeded {
			if err := fillSupplied(c.Outputs); err != nil {
				return nil, fmt.Errorf("node %s: %w", c.Name, err)
			}
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("currently, set only targets suspend nodes: no suspend nodes matching nodeFieldSelector: %s", v.Selector)
	}
	return out, nil
}

// setOutputs sets supplied output parameters of n, a copy with its own
// outputs.
func setOutputs(n *wfv1.NodeStatus, values map[string]string) error {
	if len(values) == 0 {
		return nil
	}
	if n.Outputs == nil {
		return fmt.Errorf("cannot set output parameters because node is not expecting any raw parameters")
	}
	outs := n.Outputs
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		i := slices.IndexFunc(outs.Parameters, func(p wfv1.Parameter) bool { return p.Name == name })
		if i < 0 {
			return fmt.Errorf("node is not expecting output parameter '%s'", name)
		}
		p := &outs.Parameters[i]
		if p.ValueFrom == nil || p.ValueFrom.Supplied == nil {
			return fmt.Errorf("cannot set output parameter '%s' because it does not use valueFrom.raw or it was already set", name)
		}
		p.Value, p.ValueFrom = wfv1.AnyString(values[name]).Ptr(), nil
	}
	return nil
}

// setSuspended applies an `argo node set`, all or nothing.
func (o *op) setSuspended(v *SetValues) {
	if v == nil {
		return
	}
	targets, err := setTargets(o.nodes, *v)
	if err != nil {
		return
	}
	for _, t := range targets {
		n := o.nodes[t.ID]
		n.Outputs = t.Outputs
		if v.Message != "" {
			n.Message = v.Message
		}
		o.touch(n)
		if v.Phase != "" {
			o.complete(n, v.Phase, v.Message)
		}
	}
}
