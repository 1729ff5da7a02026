package reconcile

import "github.com/semaflow/semaflow/api/wfv1"

// specFacts is what a scan of every template found, kept by the spec's
// identity so that a call does not rescan a workflow of thousands of
// tasks: a running workflow's spec is not edited in place (the engine
// changes only spec.shutdown and spec.suspend, which no scan reads).
type specFacts struct {
	spec  *wfv1.WorkflowSpec
	ntmpl int
	// hooks: some hook has an expression (hasExpressionHooks).
	hooks, hooksKept bool
	// daemons: some template is a daemon; not kept when the scan read a
	// WorkflowTemplate, which may change between calls.
	daemons, daemonsKept bool
}

// keptFacts returns the cache's facts for this call's spec, nil without
// a cache.
func (o *op) keptFacts() *specFacts {
	c := o.walk.cache
	if c == nil || o.walk.legacy {
		return nil
	}
	if c.spec.spec != o.spec || c.spec.ntmpl != len(o.spec.Templates) {
		c.spec = specFacts{spec: o.spec, ntmpl: len(o.spec.Templates)}
	}
	return &c.spec
}

// expressionHooks is hasExpressionHooks of this call's spec.
func (o *op) expressionHooks() bool {
	k := o.keptFacts()
	if k == nil {
		return hasExpressionHooks(o.spec)
	}
	if !k.hooksKept {
		k.hooks, k.hooksKept = hasExpressionHooks(o.spec), true
	}
	return k.hooks
}

// anyDaemonedNode says whether some node is a running daemon: from the
// kept count and this call's changes when the node state is kept.
func (o *op) anyDaemonedNode() bool {
	s := o.state
	if s == nil {
		for _, n := range o.nodes {
			if isDaemoned(n) {
				return true
			}
		}
		return false
	}
	k := s.daemoned
	for id := range o.changed {
		if isDaemoned(o.nodes[id]) {
			k++
		}
		if old, had := o.wf.Status.Nodes[id]; had && isDaemoned(&old) {
			k--
		}
	}
	return k > 0
}

// StartsMayBeNews says whether a step starting in wf may change more than
// its own node: a hook with an expression may fire on it (`Running`), or a
// daemon's start lets its dependents go on. A template from elsewhere (a
// templateRef, a WorkflowTemplate not yet resolved) may hold either, so it
// counts as news too. A caller may put off reconciling a start only when
// this says false.
func StartsMayBeNews(wf *wfv1.Workflow) bool {
	if TemplatePending(wf) {
		return true
	}
	spec := effectiveSpec(wf)
	if hasExpressionHooks(spec) || spec.TemplateDefaults != nil && isDaemon(spec.TemplateDefaults) {
		return true
	}
	// A template from elsewhere may be or run one: counted as one.
	return daemonIn(spec.Templates, 0, true, func(*wfv1.TemplateRef) bool { return true })
}

// TemplatePending says whether wf runs a WorkflowTemplate not yet read
// into it: what its spec holds is known only once it is.
func TemplatePending(wf *wfv1.Workflow) bool {
	return wf.Spec.WorkflowTemplateRef != nil && wf.Status.StoredWorkflowTemplateSpec == nil
}
