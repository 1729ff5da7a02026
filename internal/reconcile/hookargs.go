package reconcile

import (
	"encoding/json"
	"fmt"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
	"github.com/semaflow/semaflow/internal/jsoncopy"
)

// executeHook brings a hook's node forward (a step's, a task's or the
// workflow's hook, or the exit handler) with its arguments substituted
// in scope. Arguments that cannot be evaluated fail the hook node with
// Error, saying why, rather than reaching the template as written.
func (o *op) executeHook(c call, scope expr.Scope, depth int) *wfv1.NodeStatus {
	c.hooked = true
	args, err := resolveArtifactExpressions(c.Arguments, scope)
	if err == nil {
		args, err = hookArguments(args, scope)
	}
	if err == nil {
		c.Arguments = args
		return o.execute(c, depth)
	}
	n := o.byName(c.name)
	if n == nil {
		if !o.mayStart(c) {
			return nil
		}
		n = o.newNode(c.name, c.displayName, NodePod, c.boundaryID, c.parentID)
		n.NodeFlag = &wfv1.NodeFlag{Hooked: true}
	}
	o.complete(n, wfv1.PhaseError, fmt.Sprintf("hook %s: arguments: %v", c.name, err))
	return n
}

// hookArguments substitutes a hook's arguments. As in Argo, a reference
// that has no value (an exit hook reading an output its failed step never
// made) is left as written; only an expression that fails is an error.
func hookArguments(args wfv1.Arguments, scope expr.Scope) (wfv1.Arguments, error) {
	var out wfv1.Arguments
	raw, err := json.Marshal(args)
	if err != nil {
		return out, err
	}
	var tree any
	if err := jsoncopy.UnmarshalNumbers(raw, &tree); err != nil {
		return out, err
	}
	tree, err = replaceLenient(tree, scope)
	if err != nil {
		return out, err
	}
	if raw, err = json.Marshal(tree); err != nil {
		return out, err
	}
	err = json.Unmarshal(raw, &out)
	return out, err
}

func replaceLenient(v any, scope expr.Scope) (any, error) {
	switch x := v.(type) {
	case string:
		return expr.Replace(x, scope, false)
	case []any:
		for i := range x {
			r, err := replaceLenient(x[i], scope)
			if err != nil {
				return nil, err
			}
			x[i] = r
		}
	case map[string]any:
		for k := range x {
			r, err := replaceLenient(x[k], scope)
			if err != nil {
				return nil, err
			}
			x[k] = r
		}
	}
	return v, nil
}
