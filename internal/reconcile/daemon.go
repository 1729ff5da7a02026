package reconcile

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Daemon steps, as Argo runs them: a `daemon: true` template's node turns
// daemoned once its process runs and is ready (the executor reports it
// started only once its readinessProbe passes), which counts as finished
// for the steps or DAG around it, so the workflow goes on; later steps
// reach it at {{steps.X.ip}} / {{tasks.X.ip}}. When its scope (the steps
// or DAG template whose node is its boundary) ends, it is killed, and its
// node ends Succeeded as Argo's killDaemonedChildren marks it. Unlike
// Argo, the scope ends only once the daemon's process is dead (its result
// came back): a lock or the workflow's end never comes before that.

// DaemonIP is a daemoned node's address: steps run on this host.
const DaemonIP = "127.0.0.1"

// DaemonScopeEnded is the kill reason of a daemon whose scope ended.
const DaemonScopeEnded = "daemon stopped: the template that started it ended"

// MaxDaemons bounds the daemon steps running at once in one workflow.
const MaxDaemons = 32

func isDaemoned(n *wfv1.NodeStatus) bool { return n.Daemoned != nil && *n.Daemoned }

// settled says whether a node no longer holds up the steps or DAG it is
// in: finished, or a daemon that runs (Argo's Fulfilled).
func settled(n *wfv1.NodeStatus) bool { return fulfilled(n) || isDaemoned(n) }

func isDaemon(t *wfv1.Template) bool { return t != nil && t.Daemon != nil && *t.Daemon }

// daemonReady marks a running daemon's node daemoned, reachable at
// DaemonIP.
func (o *op) daemonReady(n *wfv1.NodeStatus) {
	if isDaemoned(n) || n.Phase != wfv1.PhaseRunning {
		return
	}
	o.anyDaemoned()
	n.Daemoned, n.PodIP = ptr(true), DaemonIP
	o.daemonCount++
	o.touch(n)
}

// daemonOverLimit says whether the daemon node n, about to launch, is
// past MaxDaemons: it and the unfinished daemons counted (those not yet
// ready included, their readiness may come late).
func (o *op) daemonOverLimit(n *wfv1.NodeStatus) bool {
	daemons := map[string]bool{}
	for i := range o.spec.Templates {
		if isDaemon(&o.spec.Templates[i]) {
			daemons[o.spec.Templates[i].Name] = true
		}
	}
	k := 0
	for _, m := range o.nodes {
		if m.ID == n.ID || !isStep(m.Type) || fulfilled(m) || isWaitingForLock(m) {
			continue
		}
		if isDaemoned(m) || daemons[m.TemplateName] {
			k++
		}
	}
	return k >= MaxDaemons
}

// stopDaemons kills the running daemons whose scope is the node
// scopeID, and says whether any is still alive: the scope may end only
// once none is.
func (o *op) stopDaemons(scopeID string) bool {
	alive := false
	for _, n := range o.nodes {
		if n.BoundaryID != scopeID || !isStep(n.Type) || !isDaemoned(n) || fulfilled(n) {
			continue
		}
		alive = true
		if _, ok := o.plan.Kill[n.ID]; !ok {
			o.plan.Kill[n.ID] = DaemonScopeEnded
		}
	}
	return alive
}

// hasDaemons says whether the workflow may run a daemon: a step that
// starts then changes more than its own node, so it needs a walk.
func (o *op) hasDaemons() bool {
	if o.anyDaemonedNode() {
		return true
	}
	k := o.keptFacts()
	if k != nil && k.daemonsKept {
		return k.daemons
	}
	d, resolved := o.templatesHaveDaemons()
	if k != nil {
		k.daemons, k.daemonsKept = d, !resolved
	}
	return d
}

// templatesHaveDaemons says whether a template the workflow may run is a
// daemon, and whether it looked at a WorkflowTemplate to say so (which
// may change, so the answer is not kept).
func (o *op) templatesHaveDaemons() (bool, bool) {
	resolved := false
	d := daemonIn(o.spec.Templates, 0, false, func(ref *wfv1.TemplateRef) bool {
		resolved = true
		return o.refHasDaemons(ref)
	})
	return d, resolved
}

// daemonIn says whether one of ts, or a template inlined in them, is a
// daemon, or one they refer to is (ref says; nil: none is). Past MaxDepth
// it says deep.
func daemonIn(ts []wfv1.Template, depth int, deep bool, ref func(*wfv1.TemplateRef) bool) bool {
	if depth > MaxDepth {
		return deep
	}
	in := func(inline *wfv1.Template, r *wfv1.TemplateRef) bool {
		return inline != nil && daemonIn([]wfv1.Template{*inline}, depth+1, deep, ref) || r != nil && ref(r)
	}
	for i := range ts {
		t := &ts[i]
		if isDaemon(t) {
			return true
		}
		for _, g := range t.Steps {
			for _, s := range g {
				if in(s.Inline, s.TemplateRef) {
					return true
				}
			}
		}
		if t.DAG != nil {
			for _, task := range t.DAG.Tasks {
				if in(task.Inline, task.TemplateRef) {
					return true
				}
			}
		}
	}
	return false
}

// refHasDaemons says whether a referenced WorkflowTemplate may run a
// daemon (a missing one is an error the walk reports).
func (o *op) refHasDaemons(ref *wfv1.TemplateRef) bool {
	wt := o.res.WorkflowTemplate(o.wf.Metadata.Namespace, ref.Name, ref.ClusterScope)
	if wt == nil {
		return false
	}
	for i := range wt.Spec.Templates {
		if isDaemon(&wt.Spec.Templates[i]) {
			return true
		}
	}
	return false
}

// finishDaemon records the result of a daemon step, which never ends by
// itself: killed because its scope ended, it Succeeded (as Argo marks
// it); any other end fails it, an exit 0 included (Argo: "daemoned pod
// succeeded" is a failure). It says whether it handled the result.
func (o *op) finishDaemon(n *wfv1.NodeStatus, killed string, exitCode int) bool {
	if !isDaemoned(n) {
		return false
	}
	switch {
	case killed == DaemonScopeEnded:
		o.complete(n, wfv1.PhaseSucceeded, "")
	case killed == "" && exitCode == 0:
		o.complete(n, wfv1.PhaseFailed, "the daemon exited (exit code 0) before the template that started it ended")
	default:
		return false
	}
	return true
}

// daemonLimitMessage is the message of a daemon past MaxDaemons.
func daemonLimitMessage(tmpl string) string {
	return fmt.Sprintf("template %q: at most %d daemon steps run at once in a workflow; this one would pass that", tmpl, MaxDaemons)
}

// followDaemon makes a Retry node daemoned while its attempt is, as Argo
// does, so the steps around it go on.
func (o *op) followDaemon(parent, attempt *wfv1.NodeStatus) {
	switch {
	case isDaemoned(attempt) && !isDaemoned(parent):
		o.anyDaemoned()
		parent.Daemoned, parent.PodIP = ptr(true), attempt.PodIP
		o.daemonCount++
		o.touch(parent)
	case !isDaemoned(attempt) && isDaemoned(parent):
		parent.Daemoned = nil
		o.daemonCount--
		o.touch(parent)
	}
}

// anyDaemoned says whether some node is daemoned, counted on first use
// so a workflow without daemons pays one scan at most.
func (o *op) anyDaemoned() bool {
	if !o.daemonsCounted {
		o.daemonsCounted = true
		for _, n := range o.nodes {
			if isDaemoned(n) {
				o.daemonCount++
			}
		}
	}
	return o.daemonCount > 0
}

// probeWaitPrefix begins the message of a daemon waiting to be ready.
const probeWaitPrefix = "waiting for its readinessProbe: "

// StepWaitPrefix begins the message of a Pending step its executor
// cannot start yet (StepWaiting); its start clears it.
const StepWaitPrefix = "waiting to start: "

// probeWaitMessage says what a daemon's readinessProbe waits for, as the
// executor makes it (against DaemonIP), or "" when it has none made.
func probeWaitMessage(t *wfv1.Template) string {
	var c *wfv1.Container
	switch {
	case t.Container != nil:
		c = t.Container
	case t.Script != nil:
		c = &t.Script.Container
	}
	if !isDaemon(t) || c == nil {
		return ""
	}
	port := func(target map[string]any) string {
		switch v := target["port"].(type) {
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		case string:
			return v
		}
		return fmt.Sprint(target["port"])
	}
	if g, ok := c.ReadinessProbe["httpGet"].(map[string]any); ok {
		path, _ := g["path"].(string)
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		scheme := "http"
		if s, _ := g["scheme"].(string); s == "HTTPS" {
			scheme = "https"
		}
		return probeWaitPrefix + "GET " + scheme + "://" + DaemonIP + ":" + port(g) + path
	}
	if s, ok := c.ReadinessProbe["tcpSocket"].(map[string]any); ok {
		return probeWaitPrefix + "a TCP connection to " + DaemonIP + ":" + port(s)
	}
	return ""
}
