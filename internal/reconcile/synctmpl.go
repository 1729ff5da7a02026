package reconcile

import (
	"fmt"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
	"github.com/semaflow/semaflow/internal/spec"
)

// resolveSync substitutes the {{...}} references of a block's lock names
// from scope, as Argo does (`mutex-{{workflow.name}}` is one mutex per
// workflow). A reference that cannot be resolved is an error naming the
// field: taken literally, it would make every workflow share one lock.
// The block is returned as is when nothing in it is templated, and scope
// is built only when something is: a waiter is walked on every call.
func resolveSync(s *wfv1.Synchronization, scope func() expr.Scope, path string) (*wfv1.Synchronization, error) {
	if !spec.SyncTemplated(s) {
		return s, nil
	}
	c := spec.CloneSync(s)
	sc := scope()
	for _, f := range spec.SyncStrings(c) {
		v, err := expr.Replace(*f.Value, sc, true)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: cannot name the lock: %w", path, f.Field, err)
		}
		*f.Value = v
	}
	if err := spec.CheckResolvedSync(c, path); err != nil {
		return nil, err
	}
	return c, nil
}

// workflowLockScope is what a workflow-level lock name may use: the global
// scope, with parameters taken from ConfigMaps read now, since the lock is
// taken before init resolves them.
func (o *op) workflowLockScope() expr.Scope {
	s := o.globalScope()
	for _, p := range o.spec.Arguments.Parameters {
		if p.Value == nil && p.Default == nil && p.ValueFrom != nil && p.ValueFrom.ConfigMapKeyRef != nil {
			if v, err := o.configMapValue(p.ValueFrom.ConfigMapKeyRef.Name, p.ValueFrom.ConfigMapKeyRef.Key); err == nil {
				s["workflow.parameters."+p.Name] = v
			}
		}
	}
	return s
}
