package reconcile

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/expr"
	"github.com/semaflow/semaflow/internal/spec"
)

// tmplCall is how a template is invoked: by name in the current scope,
// by reference to a WorkflowTemplate, or inline.
type tmplCall struct {
	Template    string
	TemplateRef *wfv1.TemplateRef
	Inline      *wfv1.Template
	Arguments   wfv1.Arguments
}

// tmplCtx is the template namespace a call resolves in: the workflow's own
// templates, or those of the WorkflowTemplate a templateRef pointed into.
type tmplCtx struct {
	templates []wfv1.Template
	scope     string // "" for the workflow, else "namespaced/<name>" or "cluster/<name>"
}

func (c *tmplCtx) lookup(name string) *wfv1.Template {
	for i := range c.templates {
		if c.templates[i].Name == name {
			return &c.templates[i]
		}
	}
	return nil
}

// call is one node to bring forward.
type call struct {
	name, displayName string
	tmpl              string // shorthand for tmplCall.Template
	tmplCall
	args       wfv1.Arguments // shorthand for tmplCall.Arguments
	ctx        *tmplCtx
	parentID   string
	boundaryID string
	// isAttempt marks a retry attempt: the template's retryStrategy is
	// handled by the parent Retry node.
	isAttempt bool
	attempt   int
	// hooked marks a node a hook or exit handler starts (Argo's
	// nodeFlag.hooked).
	hooked bool
	// exitHandler lets the node start while the workflow is stopping.
	exitHandler bool
}

func (o *op) rootCtx() *tmplCtx { return &tmplCtx{templates: o.spec.Templates} }

// resolve finds the template a call names and the context its own calls
// resolve in.
func (o *op) resolve(c call) (*wfv1.Template, *tmplCtx, error) {
	switch {
	case c.Inline != nil:
		return c.Inline, c.ctx, nil
	case c.TemplateRef != nil:
		ref := c.TemplateRef
		wt := o.res.WorkflowTemplate(o.wf.Metadata.Namespace, ref.Name, ref.ClusterScope)
		if wt == nil {
			kind := "WorkflowTemplate"
			if ref.ClusterScope {
				kind = "ClusterWorkflowTemplate"
			}
			return nil, nil, fmt.Errorf("%s %q not found", kind, ref.Name)
		}
		scope := "namespaced/" + ref.Name
		if ref.ClusterScope {
			scope = "cluster/" + ref.Name
		}
		ctx := &tmplCtx{templates: wt.Spec.Templates, scope: scope}
		t := ctx.lookup(ref.Template)
		if t == nil {
			return nil, nil, fmt.Errorf("template %q not found in %s", ref.Template, scope)
		}
		return t, ctx, nil
	}
	t := c.ctx.lookup(c.Template)
	if t == nil {
		return nil, nil, fmt.Errorf("template %q not found", c.Template)
	}
	return t, c.ctx, nil
}

// execute brings the node of a call forward and returns it; nil means the
// node could not be created yet (parallelism, suspension).
func (o *op) execute(c call, depth int) *wfv1.NodeStatus {
	if c.tmpl != "" {
		c.Template = c.tmpl
	}
	if len(c.args.Parameters)+len(c.args.Artifacts) > 0 {
		c.Arguments = c.args
	}
	if c.displayName == "" {
		c.displayName = c.name
	}
	node := o.byName(c.name)
	if node != nil && fulfilled(node) {
		return node
	}
	tmpl, ctx, err := o.resolve(c)
	if err == nil && depth > MaxDepth {
		err = fmt.Errorf("maximum template depth %d exceeded: template %q keeps calling templates (endless recursion?)", MaxDepth, tmpl.Name)
	}
	var scope expr.Scope
	var inputs *wfv1.Inputs
	if err == nil {
		tmpl, err = o.withDefaults(tmpl)
	}
	if err == nil {
		inputs, scope, err = o.inputs(tmpl, c.Arguments)
	}
	if err == nil && c.hooked && isDaemon(tmpl) {
		err = fmt.Errorf("daemon template %q cannot be an exit handler or lifecycle hook: a daemon runs until the steps "+
			"after it end, and a handler has none, so the workflow would never finish", tmpl.Name)
	}
	if err != nil {
		if node == nil {
			if !o.mayStart(c) {
				return nil
			}
			node = o.newNode(c.name, c.displayName, NodePod, c.boundaryID, c.parentID)
		}
		o.complete(node, wfv1.PhaseError, err.Error())
		return node
	}
	if node == nil {
		// A pod needs a slot of spec.parallelism, an attempt of a retry
		// too (its Retry node waits for one): after a backoff, another
		// step may have taken it.
		if !o.mayStart(c) || (isLeaf(tmpl) && (o.retryStrategy(tmpl) == nil || c.isAttempt) && !o.podSlot()) {
			return nil
		}
		typ := nodeType(tmpl)
		if o.retryStrategy(tmpl) != nil && !c.isAttempt {
			typ = NodeRetry
		}
		node = o.newNode(c.name, c.displayName, typ, c.boundaryID, c.parentID)
		if c.hooked || c.isAttempt {
			node.NodeFlag = &wfv1.NodeFlag{Hooked: c.hooked, Retried: c.isAttempt}
		}
		if o.abort != "" {
			return node // past the node limit: not kept, nothing runs
		}
		node.TemplateName = tmpl.Name
		if c.TemplateRef != nil {
			node.TemplateName = ""
			node.TemplateRef = c.TemplateRef
		}
		node.TemplateScope = ctx.scope
		if len(inputs.Parameters)+len(inputs.Artifacts) > 0 {
			node.Inputs = inputs
		}
		if isStep(node.Type) {
			node.Phase = wfv1.PhasePending
			o.activePods++
			o.created[node.ID] = true
		}
		if node.Type == NodePod {
			for _, p := range tmpl.Outputs.Parameters {
				if node.Outputs == nil {
					node.Outputs = &wfv1.Outputs{}
				}
				node.Outputs.Parameters = append(node.Outputs.Parameters, wfv1.Parameter{Name: p.Name, GlobalName: p.GlobalName})
			}
		}
		if node.Type == NodeSuspend {
			suppliedOutputs(node, tmpl)
		}
	}
	scope["node.name"] = node.Name
	if !o.templateLocks(node, tmpl, c, scope) {
		return node
	}
	if tmpl.Memoize != nil && !c.isAttempt && node.MemoizationStatus == nil && !fulfilled(node) && o.memoize(node, tmpl, scope) {
		return node
	}
	if o.timedOut(node, tmpl) {
		return node
	}
	if node.Type == NodeRetry {
		o.executeRetry(node, tmpl, scope, c, depth)
		return node
	}
	if c.isAttempt {
		scope["retries"] = strconv.Itoa(c.attempt)
	}
	o.executeBody(node, tmpl, ctx, scope, c, depth)
	return node
}

// mayStart says whether a new node may be created now: not once a limit
// was met, nor while the workflow is stopping (except exit handlers) or
// suspended.
func (o *op) mayStart(c call) bool {
	if o.abort != "" {
		return false
	}
	if c.exitHandler || o.exitWalk {
		return o.shutdown != "Terminate"
	}
	if o.shutdown != "" {
		return false
	}
	return o.wf.Spec.Suspend == nil || !*o.wf.Spec.Suspend
}

// podSlot says whether spec.parallelism lets one more pod start: the
// pods queued for their locks keep theirs.
func (o *op) podSlot() bool {
	p := o.spec.Parallelism
	return p == nil || *p <= 0 || int64(o.activePods+o.queuedPods) < *p
}

// lockWaitBlocked says why a node under a template lock may not be queued
// for it now, or granted it ("": it may): DESIGN §2 queues only runnable
// waiters. A suspended workflow starts nothing, and a pod node needs a
// pod slot of spec.parallelism; the lock manager knows neither, so a
// node it granted would start past them. pod says the node runs a pod.
func (o *op) lockWaitBlocked(node *wfv1.NodeStatus, c call, pod bool) string {
	if !c.exitHandler && !o.exitWalk && o.wf.Spec.Suspend != nil && *o.wf.Spec.Suspend {
		return "the workflow is suspended"
	}
	active, queued := o.activePods, o.queuedPods
	if isStep(node.Type) && o.created[node.ID] && !isWaitingForLock(node) {
		active-- // made this walk, and counted then: its own slot
	}
	if o.queuedFor[node.ID] {
		queued-- // visited before in this walk (a DAG looks again): its own
	}
	if p := o.spec.Parallelism; pod && p != nil && *p > 0 && int64(active+queued) >= *p {
		return fmt.Sprintf("the workflow runs its parallelism of %d pods", *p)
	}
	return ""
}

func (o *op) executeBody(node *wfv1.NodeStatus, tmpl *wfv1.Template, ctx *tmplCtx, scope expr.Scope, c call, depth int) {
	switch {
	case tmpl.Container != nil || tmpl.Script != nil || tmpl.ContainerSet != nil:
		o.executePod(node, tmpl, scope, c)
	case tmpl.HTTP != nil:
		o.executeHTTP(node, tmpl, scope, c)
	case tmpl.Data != nil:
		o.executeData(node, tmpl, scope, c)
	case (tmpl.Steps != nil || tmpl.DAG != nil) && o.failFastStop(node, tmpl):
	case tmpl.Steps != nil:
		o.executeSteps(node, tmpl, ctx, scope, depth)
	case tmpl.DAG != nil:
		o.executeDAG(node, tmpl, ctx, scope, depth)
	case tmpl.Suspend != nil:
		o.executeSuspend(node, tmpl, scope)
	default:
		o.markUnrunnable(node)
		o.complete(node, wfv1.PhaseError, fmt.Sprintf("template %q: type %v is not supported by the local executor", tmpl.Name, tmpl.Types()))
	}
}

func isLeaf(t *wfv1.Template) bool {
	return t.Container != nil || t.Script != nil || t.ContainerSet != nil || t.HTTP != nil || t.Data != nil
}

func nodeType(t *wfv1.Template) string {
	switch {
	case t.Steps != nil:
		return NodeSteps
	case t.DAG != nil:
		return NodeDAG
	case t.Suspend != nil:
		return NodeSuspend
	case t.HTTP != nil:
		return NodeHTTP
	}
	return NodePod
}

// timedOut enforces a non-leaf template's `timeout`: once passed, the node
// fails and its running pods are killed.
func (o *op) timedOut(node *wfv1.NodeStatus, tmpl *wfv1.Template) bool {
	if tmpl.Timeout == "" || isLeaf(tmpl) || node.StartedAt == nil {
		return false
	}
	d, err := ParseDuration(tmpl.Timeout)
	if err != nil {
		o.complete(node, wfv1.PhaseError, fmt.Sprintf("template %q: timeout: %v", tmpl.Name, err))
		return true
	}
	deadline := node.StartedAt.Add(d)
	if o.now.Before(deadline) {
		o.plan.wake(deadline)
		return false
	}
	msg := fmt.Sprintf("%s exceeded its timeout %s", node.Name, tmpl.Timeout)
	if !o.failDescendants(node, msg) {
		o.complete(node, wfv1.PhaseFailed, msg)
	}
	// Else it ends on a later walk, once its killed steps have exited.
	return true
}

// failDescendants kills every unfinished step below n and fails every
// other unfinished node below n, and says whether a killed step may
// still run. A step that may run ends by its exit (Failed with msg, the
// kill's reason), and the nodes above it wait for it, so that no lock
// of theirs or its own is freed while it runs. It looks below finished
// nodes too: a finished step's exit hooks are its children and may
// still run.
func (o *op) failDescendants(n *wfv1.NodeStatus, msg string) bool {
	alive := false
	for _, id := range n.Children {
		c := o.nodes[id]
		if c == nil {
			continue
		}
		below := o.failDescendants(c, msg)
		alive = alive || below
		switch {
		case fulfilled(c):
		case isStep(c.Type) && c.Phase == wfv1.PhasePending && o.neverLaunched(c):
			o.unlaunch(c.ID) // it never starts
			o.complete(c, wfv1.PhaseFailed, msg)
		case isStep(c.Type) && (c.Phase == wfv1.PhaseRunning || c.Phase == wfv1.PhasePending) && !isWaitingForLock(c):
			o.plan.Kill[c.ID] = msg
			alive = true
		case !below:
			o.complete(c, wfv1.PhaseFailed, msg)
		}
	}
	return alive
}

// ParseDuration reads Argo's durations: a Go duration ("90s", "1h") or a
// bare number of seconds.
func ParseDuration(s string) (time.Duration, error) {
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(n * float64(time.Second)), nil
	}
	return time.ParseDuration(s)
}

// templateLocks gates a node on its template's locks; it reports whether
// the node may run. The holder is the node itself (for a template with a
// retryStrategy, the Retry node, so the lock spans every attempt).
func (o *op) templateLocks(node *wfv1.NodeStatus, tmpl *wfv1.Template, c call, scope expr.Scope) bool {
	if tmpl.Synchronization == nil || c.isAttempt || fulfilled(node) {
		return true
	}
	ns := o.wf.Metadata.Namespace
	holder := domain.HolderKey{Namespace: ns, Workflow: o.wf.Metadata.Name, NodeID: node.ID}.String()
	if msg, failed := o.lockFailed[holder]; failed {
		o.complete(node, wfv1.PhaseFailed, msg)
		return false
	}
	// A Retry node's lock is for its attempts, each a pod.
	pod := isLeaf(tmpl)
	if o.holds(holder) {
		if why := o.lockWaitBlocked(node, c, pod); why != "" && o.justGranted[holder] && !o.startedUnder(node) {
			// Granted in the same breath as it became blocked: the grant
			// goes back, for the next waiter, and the node waits outside
			// the queue (not an active pod) until it may run.
			key := firstLock(o.wf.Status.Synchronization.Tokens[holder])
			o.release(holder)
			node.SynchronizationStatus = &wfv1.NodeSynchronizationStatus{Waiting: key}
			o.waitOutside(node, key, why)
			o.touch(node)
			return false
		}
		return true
	}
	sync, err := resolveSync(tmpl.Synchronization, func() expr.Scope { return scope }, "synchronization")
	if err != nil {
		o.complete(node, wfv1.PhaseError, fmt.Sprintf("template %q: %v", tmpl.Name, err))
		return false
	}
	refs := spec.LockKeys(sync, ns)
	if len(refs) == 0 {
		return true
	}
	if tmpl.PendingTimeout != "" && node.StartedAt != nil {
		d, err := spec.ParsePendingTimeout(tmpl.PendingTimeout)
		if err != nil {
			// Lint refuses it; with lint bypassed the node fails saying
			// so rather than timing out at once or never.
			o.complete(node, wfv1.PhaseFailed, fmt.Sprintf("template %q: pendingTimeout: %v", tmpl.Name, err))
			o.release(holder)
			return false
		}
		{
			deadline := node.StartedAt.Add(d)
			if !o.now.Before(deadline) {
				o.complete(node, wfv1.PhaseFailed, fmt.Sprintf("Timed out after %s (pendingTimeout) waiting for %s lock", tmpl.PendingTimeout, refs[0].Key))
				o.release(holder)
				return false
			}
			o.plan.wake(deadline)
		}
	}
	why := o.lockWaitBlocked(node, c, pod)
	if why == "" {
		o.request(holder, node.ID, refs)
		if pod && !o.queuedFor[node.ID] {
			o.queuedFor[node.ID] = true
			o.queuedPods++
		}
	} else {
		o.release(holder) // out of the queue, if it was in
		if o.queuedFor[node.ID] {
			delete(o.queuedFor, node.ID)
			o.queuedPods--
		}
	}
	if isStep(node.Type) && !isWaitingForLock(node) && o.created[node.ID] {
		o.activePods--
	}
	node.Phase = wfv1.PhasePending
	node.SynchronizationStatus = &wfv1.NodeSynchronizationStatus{Waiting: refs[0].Key}
	switch {
	case why != "":
		o.waitOutside(node, refs[0].Key, why)
	case !queuedMessage(node.Message):
		node.Message = "Waiting for " + refs[0].Key + " lock"
	}
	o.touch(node)
	return false
}

// startedUnder says whether node (a pod, or the Retry node of pod
// attempts) launched this walk or has an attempt under way: its grant is
// in use, and a later look at it in the same walk must not give it back.
func (o *op) startedUnder(node *wfv1.NodeStatus) bool {
	if o.launched[node.ID] {
		return true
	}
	for _, id := range node.Children {
		if ch := o.nodes[id]; ch != nil && isStep(ch.Type) && (o.launched[id] || !fulfilled(ch)) {
			return true
		}
	}
	return false
}

// firstLock is the first of a holder's locks by key.
func firstLock(tokens map[string]uint64) string {
	keys := slices.Sorted(maps.Keys(tokens))
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}

// notQueued marks the message of a node that waits for its lock outside
// the queue (waitOutside).
const notQueued = ": not queued while "

// queuedMessage says msg is a queued waiter's (the lock manager's, or
// the first one given), not one from before the wait or of a wait
// outside the queue.
func queuedMessage(msg string) bool {
	return strings.HasPrefix(msg, "Waiting for ") && !strings.Contains(msg, notQueued)
}

// waitOutside says on node, which stays Pending, that it is not queued
// for its lock key, and why.
func (o *op) waitOutside(node *wfv1.NodeStatus, key, why string) {
	msg := "Waiting for " + key + " lock" + notQueued + why
	if node.Message != msg {
		node.Message = msg
		o.touch(node)
	}
}
