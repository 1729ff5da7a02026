package reconcile

import (
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/expr"
	"github.com/semaflow/semaflow/internal/spec"
)

// op holds one call's working state.
type op struct {
	wf      *wfv1.Workflow
	spec    *wfv1.WorkflowSpec
	res     Resolver
	now     time.Time
	plan    *Plan
	nodes   map[string]*wfv1.NodeStatus
	changed map[string]bool
	global  expr.Scope
	// shutdown is "", "Stop" or "Terminate".
	shutdown string
	// activePods counts pods not yet finished, for spec.parallelism.
	activePods int
	// queuedPods counts the pod nodes this walk left queued for their
	// locks: each may be granted at any time, so each keeps a pod slot
	// (podSlot, lockWaitBlocked); one that would be a slot too many
	// leaves the queues.
	queuedPods int
	queuedFor  map[string]bool // the nodes queuedPods counts
	// exitWalk is set while exit handlers are walked: they may start
	// nodes while the workflow is stopping.
	exitWalk bool
	created  map[string]bool
	// justGranted and lockFailed carry this call's lock events.
	justGranted map[string]bool
	lockFailed  map[string]string
	// parents is built on first use by parentIndex.
	parents map[string]string
	// limits bound the workflow's loops and nodes; abort is the message of
	// the first limit met in this call, after which nothing new starts.
	limits spec.Limits
	abort  string
	// nameBytes sums the names of nodes, for the max-node-name-bytes
	// budget.
	nameBytes int
	// outputBytes sums the steps' outputs, for max-output-bytes.
	outputBytes int
	// launched holds the nodes in plan.Start, so a loop of n items is
	// planned in O(n), not O(n²).
	launched map[string]bool
	// grantedFromWait holds the step nodes whose lock wait a LockGranted
	// of this call ended: they were never launched (noteGrant).
	grantedFromWait map[string]bool
	// unlaunched says unlaunch took nodes out of launched: plan.Start is
	// compacted at finish.
	unlaunched bool
	// kids counts the unfinished children of parents whose template has a
	// parallelism, built on first use by activeChildren.
	kids map[string]int64
	// failedIn counts the failed nodes within a boundary of a failFast
	// template, built on first use by unsuccessful.
	failedIn map[string]int
	// hasAlt says some node has an alternative ID (altNodeID).
	hasAlt bool
	// waiters indexes the holders waiting for locks (waitIndex).
	waiters map[string]bool
	// unrunnable holds this call's attempts that no retry can change.
	unrunnable map[string]bool
	// memoFresh holds the cache entries saved in this call by
	// "<namespace>/<cache>/<key>", and memoSaves their nodes in order.
	memoFresh map[string]*MemoEntry
	memoSaves []string
	// daemonCount counts the daemoned nodes once daemonsCounted
	// (daemon.go).
	daemonCount    int
	daemonsCounted bool
	// untouched holds the outbound nodes this call replaced, by node
	// (outbound.go).
	untouched map[*wfv1.NodeStatus][]string
	// state is the node state kept across calls, nil on the old walk or
	// without a cache (nodecache.go).
	state *nodeState
	// walk holds the cache kept across calls, the switch to the old walk
	// and the work counters (walk.go).
	walk walkOpts
}

// Reconcile applies events to wf's status and decides what happens next,
// under the default limits (spec.DefaultLimits).
// It changes wf in place; the returned Plan lists what the engine must do.
func Reconcile(wf *wfv1.Workflow, events []Event, now time.Time, res Resolver) *Plan {
	return ReconcileWith(wf, events, now, res, spec.Limits{})
}

// ReconcileWith is Reconcile under the given limits (zero fields: the
// defaults). A workflow that meets a limit ends Failed with a message
// naming the template and the limit; its running steps are killed first.
func ReconcileWith(wf *wfv1.Workflow, events []Event, now time.Time, res Resolver, limits spec.Limits) *Plan {
	return reconcileWalk(wf, events, now, res, limits, walkOpts{})
}

func reconcileWalk(wf *wfv1.Workflow, events []Event, now time.Time, res Resolver, limits spec.Limits, walk walkOpts) *Plan {
	o := &op{wf: wf, res: res, now: now, plan: &Plan{Kill: map[string]string{}},
		changed: map[string]bool{}, created: map[string]bool{},
		justGranted: map[string]bool{}, lockFailed: map[string]string{}, limits: limits.OrDefault(), queuedFor: map[string]bool{},
		launched: map[string]bool{}, walk: walk}
	o.startNodes()
	if isFinal(wf.Status.Phase) {
		o.endNodes()
		o.plan.Done = true
		return o.plan
	}
	notStarted := wf.Status.Phase == "" || (wf.Status.Phase == wfv1.PhasePending && wf.Status.StartedAt == nil)
	if notStarted {
		if err := o.mergeTemplate(); err != nil {
			o.failWorkflow(wfv1.PhaseError, err.Error())
			return o.finish()
		}
	}
	o.spec = effectiveSpec(wf)
	if notStarted {
		if err := o.applyWorkflowMetadata(); err != nil {
			o.failWorkflow(wfv1.PhaseError, err.Error())
			return o.finish()
		}
		for _, ev := range events {
			o.apply(ev)
		}
		events = nil
		if !o.workflowLocks() {
			return o.finish()
		}
		if err := o.init(); err != nil {
			o.failWorkflow(wfv1.PhaseError, err.Error())
			return o.finish()
		}
	}
	if onlyStarts(events) && !o.expressionHooks() && !o.hasDaemons() {
		// A step that started changes one node from Pending to Running and
		// nothing else: no walk needed.
		for _, ev := range events {
			o.apply(ev)
		}
		o.plan.Partial = true
		return o.finish()
	}
	o.shutdown = wf.Spec.Shutdown
	// Counted before events: complete() decrements as steps finish.
	o.countActivePods()
	for _, ev := range events {
		o.apply(ev)
	}
	o.global = o.globalScope()
	o.checkDeadline()
	if c := o.walk.cache; c != nil {
		c.walk++
		defer c.sweep()
	}
	o.run()
	if o.abort != "" {
		o.stopAtLimit()
	}
	o.failStall()
	return o.finish()
}

// mergeTemplate merges a workflowTemplateRef's spec into the status, once.
func (o *op) mergeTemplate() error {
	wf := o.wf
	if ref := wf.Spec.WorkflowTemplateRef; ref != nil && wf.Status.StoredWorkflowTemplateSpec == nil {
		wt := o.res.WorkflowTemplate(wf.Metadata.Namespace, ref.Name, ref.ClusterScope)
		if wt == nil {
			return fmt.Errorf("workflow template %q not found", ref.Name)
		}
		wf.Status.StoredWorkflowTemplateSpec = mergeSpec(&wf.Spec, &wt.Spec)
	}
	return nil
}

// workflowLocks gates the start of a workflow on its workflow-level locks;
// it reports whether the workflow may start.
func (o *op) workflowLocks() bool {
	sync := o.spec.Synchronization
	ns := o.wf.Metadata.Namespace
	var throttles []spec.LockRef
	if t, ok := o.res.(Throttler); ok {
		throttles = t.Throttles(ns)
	}
	if sync == nil && len(throttles) == 0 {
		return true
	}
	holder := domain.HolderKey{Namespace: ns, Workflow: o.wf.Metadata.Name}.String()
	if msg, failed := o.lockFailed[holder]; failed {
		o.releaseAll()
		o.failWorkflow(wfv1.PhaseFailed, msg)
		return false
	}
	if o.shutdown != "" {
		o.releaseAll()
		o.failWorkflow(wfv1.PhaseFailed, fmt.Sprintf("Stopped with strategy '%s'", o.shutdown))
		return false
	}
	// A workflow suspended before it started is not a runnable waiter
	// (DESIGN §2): it leaves the queue, and a grant that reaches it goes
	// back, until it is resumed. One that holds its locks keeps them.
	suspended := o.wf.Spec.Suspend != nil && *o.wf.Spec.Suspend
	if o.holds(holder) {
		if !suspended || !o.justGranted[holder] {
			return true
		}
		key := firstLock(o.wf.Status.Synchronization.Tokens[holder])
		o.release(holder)
		o.waitSuspended(key)
		return false
	}
	sync, err := resolveSync(sync, o.workflowLockScope, "spec.synchronization")
	if err != nil {
		o.releaseAll()
		o.failWorkflow(wfv1.PhaseError, err.Error())
		return false
	}
	refs := append(spec.LockKeys(sync, ns), throttles...)
	if o.workflowWaitTimedOut(refs) {
		o.releaseAll()
		return false
	}
	if suspended && len(refs) > 0 {
		o.release(holder) // out of the queue, if it was in
		o.waitSuspended(refs[0].Key)
		return false
	}
	o.request(holder, "", refs)
	o.wf.Status.Phase = wfv1.PhasePending
	if !queuedMessage(o.wf.Status.Message) && len(refs) > 0 {
		o.wf.Status.Message = "Waiting for " + refs[0].Key + " lock"
	}
	return false
}

// waitSuspended leaves a suspended workflow Pending for its lock key,
// saying it is not queued.
func (o *op) waitSuspended(key string) {
	o.wf.Status.Phase = wfv1.PhasePending
	o.wf.Status.Message = "Waiting for " + key + " lock" + notQueued + "the workflow is suspended"
}

// workflowWaitTimedOut fails a workflow that has waited for its locks
// longer than its semaflow.dev/pending-timeout, naming the lock it waits
// for, and otherwise wakes it when the timeout comes.
func (o *op) workflowWaitTimedOut(refs []spec.LockRef) bool {
	v, ok := o.wf.Metadata.Annotations[spec.AnnotationPendingTimeout]
	if !ok || len(refs) == 0 || o.wf.Metadata.CreationTimestamp == nil {
		return false
	}
	d, err := spec.ParsePendingTimeout(v)
	if err != nil {
		// Lint refuses it; with lint bypassed, the workflow fails saying
		// so rather than timing out at once or never.
		o.failWorkflow(wfv1.PhaseFailed, fmt.Sprintf("metadata.annotations.%s: %v", spec.AnnotationPendingTimeout, err))
		return true
	}
	deadline := o.wf.Metadata.CreationTimestamp.Add(d)
	if o.now.Before(deadline) {
		o.plan.wake(deadline)
		return false
	}
	lock := refs[0].Key
	// The waiting message names the lock it is short of.
	if rest, ok := strings.CutPrefix(o.wf.Status.Message, "Waiting for "); ok {
		if k, _, ok := strings.Cut(rest, " lock"); ok && k != "" {
			lock = k
		}
	}
	o.failWorkflow(wfv1.PhaseFailed, fmt.Sprintf("Timed out after %s (%s) waiting for %s lock", v, spec.AnnotationPendingTimeout, lock))
	return true
}

// init starts a new workflow: checks its arguments and marks it Running.
func (o *op) init() error {
	wf := o.wf
	if strings.HasPrefix(wf.Status.Message, "Waiting for ") {
		wf.Status.Message = ""
	}
	spec := effectiveSpec(wf)
	if spec.Entrypoint == "" {
		return fmt.Errorf("spec.entrypoint is empty")
	}
	for i, p := range spec.Arguments.Parameters {
		if p.Value == nil && p.ValueFrom != nil && p.ValueFrom.ConfigMapKeyRef != nil {
			v, err := o.configMapValue(p.ValueFrom.ConfigMapKeyRef.Name, p.ValueFrom.ConfigMapKeyRef.Key)
			if err != nil {
				return fmt.Errorf("spec.arguments.parameters[%s]: %w", p.Name, err)
			}
			spec.Arguments.Parameters[i].Value = ptr(wfv1.AnyString(v))
		}
	}
	t := o.now
	wf.Status.Phase = wfv1.PhaseRunning
	wf.Status.StartedAt = &t
	return nil
}

func (o *op) configMapValue(name, key string) (string, error) {
	cm := o.res.ConfigMap(o.wf.Metadata.Namespace, name)
	if cm == nil {
		return "", fmt.Errorf("ConfigMap %q not found", name)
	}
	v, ok := cm.Data[key]
	if !ok {
		return "", fmt.Errorf("ConfigMap %q has no key %q", name, key)
	}
	return v, nil
}

// effectiveSpec is the spec the workflow runs: its own, or the one merged
// with its WorkflowTemplate.
func effectiveSpec(wf *wfv1.Workflow) *wfv1.WorkflowSpec {
	if wf.Status.StoredWorkflowTemplateSpec != nil {
		return wf.Status.StoredWorkflowTemplateSpec
	}
	return &wf.Spec
}

// mergeSpec overlays a Workflow's own fields on its WorkflowTemplate's:
// arguments merge by name, everything else set on the Workflow wins.
func mergeSpec(wf, tpl *wfv1.WorkflowSpec) *wfv1.WorkflowSpec {
	m := *tpl
	m.WorkflowTemplateRef = nil
	if wf.Entrypoint != "" {
		m.Entrypoint = wf.Entrypoint
	}
	if wf.OnExit != "" {
		m.OnExit = wf.OnExit
	}
	if len(wf.Templates) > 0 {
		m.Templates = append(append([]wfv1.Template{}, tpl.Templates...), wf.Templates...)
	}
	if wf.Parallelism != nil {
		m.Parallelism = wf.Parallelism
	}
	if wf.ActiveDeadlineSeconds != nil {
		m.ActiveDeadlineSeconds = wf.ActiveDeadlineSeconds
	}
	if wf.Priority != nil {
		m.Priority = wf.Priority
	}
	if wf.TTLStrategy != nil {
		m.TTLStrategy = wf.TTLStrategy
	}
	m.WorkflowMetadata = mergeWorkflowMetadata(wf.WorkflowMetadata, tpl.WorkflowMetadata)
	params := append([]wfv1.Parameter{}, tpl.Arguments.Parameters...)
	for _, p := range wf.Arguments.Parameters {
		replaced := false
		for i := range params {
			if params[i].Name == p.Name {
				params[i], replaced = p, true
			}
		}
		if !replaced {
			params = append(params, p)
		}
	}
	m.Arguments.Parameters = params
	return &m
}

// apply folds one event into the node statuses.
func (o *op) apply(ev Event) {
	switch ev.Kind {
	case StepStarted:
		if n := o.nodes[ev.NodeID]; n != nil && n.Phase == wfv1.PhasePending {
			n.Phase = wfv1.PhaseRunning
			n.StartedAt = tp(ev.At)
			if strings.HasPrefix(n.Message, probeWaitPrefix) || strings.HasPrefix(n.Message, StepWaitPrefix) {
				// Ready (the executor reports a daemon started only then),
				// or no longer waiting to start.
				n.Message = ""
			}
			o.touch(n)
		}
	case StepWaiting:
		n := o.nodes[ev.NodeID]
		switch {
		case n == nil || !isStep(n.Type) || n.Phase != wfv1.PhasePending || isWaitingForLock(n):
		case ev.Message != "":
			n.Message = StepWaitPrefix + ev.Message
			o.touch(n)
		case strings.HasPrefix(n.Message, StepWaitPrefix):
			n.Message = "" // no longer waits
			o.touch(n)
		}
	case StepExited:
		if n := o.nodes[ev.NodeID]; n != nil && !fulfilled(n) && ev.Result != nil {
			if n.Type == NodeHTTP {
				o.finishHTTP(n, ev.Result)
			} else {
				o.finishPod(n, ev.Result)
			}
		}
	case StepNotStarted:
		if n := o.nodes[ev.NodeID]; n != nil && isStep(n.Type) && n.Phase == wfv1.PhasePending && !isWaitingForLock(n) {
			msg := ev.Message
			if msg == "" {
				msg = "the step was never started"
			}
			o.complete(n, wfv1.PhaseFailed, msg)
		}
	case Stop, Terminate:
		kind := "Stop"
		if ev.Kind == Terminate {
			kind = "Terminate"
		}
		if o.shutdown != "Terminate" {
			o.shutdown = kind
			o.wf.Spec.Shutdown = kind
		}
	case LockGranted:
		o.noteGrant(ev.Holder)
		o.granted(ev.Holder, ev.Tokens)
		o.justGranted[ev.Holder] = true
	case LockFailed:
		o.lockFailed[ev.Holder] = ev.Message
	case Suspend:
		o.wf.Spec.Suspend = ptr(true)
	case Resume:
		o.resumeSuspended()
	case SetNode:
		o.setSuspended(ev.Set)
	}
}

// checkDeadline fails the workflow's running nodes once
// spec.activeDeadlineSeconds has passed.
func (o *op) checkDeadline() {
	ads := o.spec.ActiveDeadlineSeconds
	if ads == nil || o.wf.Status.StartedAt == nil {
		return
	}
	deadline := o.wf.Status.StartedAt.Add(time.Duration(*ads) * time.Second)
	if o.now.Before(deadline) {
		o.plan.wake(deadline)
		return
	}
	if o.shutdown == "" {
		o.shutdown = "Stop"
		o.wf.Status.Message = fmt.Sprintf("Workflow exceeded its deadline (activeDeadlineSeconds: %d)", *ads)
	}
}

// run walks the tree from the entrypoint, then the exit handler, and sets
// the workflow's phase once they are done.
func (o *op) run() {
	name := o.wf.Metadata.Name
	if o.shutdown != "" {
		o.stopActive()
	}
	root := o.execute(call{name: name, tmpl: o.spec.Entrypoint, args: o.spec.Arguments, ctx: o.rootCtx()}, 0)
	if root == nil && o.shutdown != "" {
		// Stopped (or past its deadline) before its first node: nothing
		// will ever complete to end it, so it ends here.
		msg := fmt.Sprintf("Stopped with strategy '%s'", o.shutdown)
		if o.wf.Status.Message != "" {
			msg = o.wf.Status.Message
		}
		o.failWorkflow(wfv1.PhaseFailed, msg)
		return
	}
	if root != nil && isDaemoned(root) {
		// A daemon as the entrypoint: its scope is the workflow.
		o.stopDaemons("")
	}
	if !o.workflowHooks(root) || root == nil || !fulfilled(root) {
		return
	}
	phase, msg := root.Phase, root.Message
	if phase == wfv1.PhaseSkipped || phase == wfv1.PhaseOmitted {
		phase = wfv1.PhaseSucceeded
	}
	// Under Terminate no exit handler starts, but one already running is
	// still walked, as Argo does, so its killed steps end its nodes.
	if exit := o.exitTemplate(); exit != nil && (o.shutdown != "Terminate" || o.byName(name+".onExit") != nil) {
		o.global["workflow.status"] = phase
		o.global["workflow.failures"] = o.failures()
		o.exitWalk = true
		en := o.executeHook(call{name: name + ".onExit", displayName: name + ".onExit", tmplCall: *exit, ctx: o.rootCtx()}, o.global, 0)
		o.exitWalk = false
		if en == nil || !fulfilled(en) {
			return
		}
		if phase == wfv1.PhaseSucceeded && isFailure(en.Phase) {
			phase, msg = en.Phase, en.Message
		}
	}
	if o.shutdown != "" {
		phase, msg = wfv1.PhaseFailed, fmt.Sprintf("Stopped with strategy '%s'", o.shutdown)
	}
	if o.wf.Status.Message != "" && phase != wfv1.PhaseSucceeded {
		msg = o.wf.Status.Message
	}
	o.failWorkflow(phase, msg)
}

func (o *op) exitTemplate() *tmplCall {
	if o.spec.OnExit != "" {
		return &tmplCall{Template: o.spec.OnExit}
	}
	if h, ok := o.spec.Hooks["exit"]; ok {
		return &tmplCall{Template: h.Template, TemplateRef: h.TemplateRef, Arguments: h.Arguments}
	}
	return nil
}

// failWorkflow ends the workflow in phase with msg.
func (o *op) failWorkflow(phase, msg string) {
	o.wf.Status.Phase = phase
	o.wf.Status.Message = msg
	if phase == wfv1.PhaseSucceeded {
		o.wf.Status.Message = ""
	}
	t := o.now
	o.wf.Status.FinishedAt = &t
}

func (o *op) finish() *Plan {
	o.dropUnlaunched()
	if o.wf.Status.Nodes == nil && len(o.nodes) > 0 {
		o.wf.Status.Nodes = map[string]wfv1.NodeStatus{}
	}
	if isFinal(o.wf.Status.Phase) {
		o.releaseAll()
	}
	ns, name := o.wf.Metadata.Namespace, o.wf.Metadata.Name
	for id := range o.changed {
		if fulfilled(o.nodes[id]) {
			o.release(domain.HolderKey{Namespace: ns, Workflow: name, NodeID: id}.String())
		}
	}
	o.updateProgress()
	o.planMemoSaves()
	for id := range o.changed {
		o.recordGlobals(o.nodes[id])
		if o.state != nil {
			old, had := o.wf.Status.Nodes[id]
			o.keepNode(id, old, had)
		}
		o.wf.Status.Nodes[id] = *o.nodes[id]
		o.plan.Changed = append(o.plan.Changed, id)
	}
	o.endNodes()
	sort.Strings(o.plan.Changed)
	o.plan.Done = isFinal(o.wf.Status.Phase)
	if o.plan.Done {
		o.plan.WakeAt = time.Time{}
	}
	return o.plan
}

// failures renders workflow.failures as Argo does: a JSON list of the
// failed pods.
func (o *op) failures() string {
	var parts []string
	for _, n := range o.sortedNodes() {
		if isStep(n.Type) && isFailure(n.Phase) {
			parts = append(parts, fmt.Sprintf(`{"displayName":%q,"message":%q,"templateName":%q,"phase":%q,"podName":%q,"finishedAt":%q}`,
				n.DisplayName, n.Message, n.TemplateName, n.Phase, n.ID, fmtTime(n.FinishedAt)))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func (o *op) sortedNodes() []*wfv1.NodeStatus {
	out := make([]*wfv1.NodeStatus, 0, len(o.nodes))
	for _, n := range o.nodes {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// recordGlobals publishes a finished node's outputs that carry a
// globalName as workflow outputs.
func (o *op) recordGlobals(n *wfv1.NodeStatus) {
	if n.Outputs == nil || !fulfilled(n) {
		return
	}
	for _, p := range n.Outputs.Parameters {
		if p.GlobalName == "" || p.Value == nil {
			continue
		}
		if o.wf.Status.Outputs == nil {
			o.wf.Status.Outputs = &wfv1.Outputs{}
		}
		out := o.wf.Status.Outputs
		replaced := false
		for i := range out.Parameters {
			if out.Parameters[i].Name == p.GlobalName {
				out.Parameters[i].Value, replaced = p.Value, true
			}
		}
		if !replaced {
			out.Parameters = append(out.Parameters, wfv1.Parameter{Name: p.GlobalName, Value: p.Value})
		}
	}
}

func onlyStarts(events []Event) bool {
	for _, ev := range events {
		if ev.Kind != StepStarted {
			return false
		}
	}
	return len(events) > 0
}

// workflowHooks starts the workflow's expression hooks (all but `exit`)
// whose expression is true, each once, and reports whether every hook
// that started has finished.
func (o *op) workflowHooks(root *wfv1.NodeStatus) bool {
	names := make([]string, 0, len(o.spec.Hooks))
	for name, h := range o.spec.Hooks {
		if name != "exit" && h.Expression != "" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	done := true
	for _, name := range names {
		h := o.spec.Hooks[name]
		nodeName := o.wf.Metadata.Name + ".hooks." + name
		sc := maps.Clone(o.global)
		sc["workflow.status"] = wfv1.PhaseRunning
		if root != nil && fulfilled(root) {
			sc["workflow.status"] = root.Phase
			if root.Phase == wfv1.PhaseSkipped || root.Phase == wfv1.PhaseOmitted {
				sc["workflow.status"] = wfv1.PhaseSucceeded
			}
		}
		if o.byName(nodeName) == nil {
			if ok, err := expr.EvalBool(h.Expression, sc); err != nil || !ok {
				continue
			}
		}
		// Argo parents the workflow's hooks on the root node.
		parent := ""
		if root != nil {
			parent = root.ID
		}
		n := o.executeHook(call{name: nodeName, tmplCall: tmplCall{Template: h.Template, TemplateRef: h.TemplateRef,
			Arguments: h.Arguments}, ctx: o.rootCtx(), parentID: parent}, sc, 0)
		if n == nil || !fulfilled(n) {
			done = false
		}
	}
	return done
}

// hasExpressionHooks says whether a hook may fire on a step starting to
// run, which then needs a walk.
func hasExpressionHooks(spec *wfv1.WorkflowSpec) bool {
	for name, h := range spec.Hooks {
		if name != "exit" && h.Expression != "" {
			return true
		}
	}
	for i := range spec.Templates {
		t := &spec.Templates[i]
		for _, g := range t.Steps {
			for _, s := range g {
				for name, h := range s.Hooks {
					if name != "exit" && h.Expression != "" {
						return true
					}
				}
			}
		}
		if t.DAG != nil {
			for _, task := range t.DAG.Tasks {
				for name, h := range task.Hooks {
					if name != "exit" && h.Expression != "" {
						return true
					}
				}
			}
		}
	}
	return false
}

// StepInFlight says whether a node is a step that was planned or started
// and has not ended: after an engine restart, such a step must be followed
// or declared lost. A step waiting for its lock was never launched.
func StepInFlight(n *wfv1.NodeStatus) bool {
	return isStep(n.Type) && n.Phase != "" && !fulfilled(n) && !isWaitingForLock(n)
}

func isWaitingForLock(n *wfv1.NodeStatus) bool {
	return n.SynchronizationStatus != nil && n.SynchronizationStatus.Waiting != ""
}

// SetWaitingMessage puts the lock manager's waiting message on the node
// (or workflow) of holder; it returns the node ID it changed, if any.
func SetWaitingMessage(wf *wfv1.Workflow, holder, msg string) string {
	// A workflow-level holder (or a malformed key) has no node ID.
	k, _ := domain.ParseHolderKey(holder)
	id := k.NodeID
	if id == "" {
		wf.Status.Message = msg
		return ""
	}
	n, ok := wf.Status.Nodes[id]
	if !ok {
		return ""
	}
	n.Message = msg
	wf.Status.Nodes[id] = n
	return id
}
