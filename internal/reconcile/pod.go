package reconcile

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/expr"
)

// PodDeadlineMessage is Argo's message for a step killed by its
// activeDeadlineSeconds or timeout.
const PodDeadlineMessage = "Pod was active on the node longer than the specified deadline"

// executePod plans the launch of a new container or script node and
// enforces its deadline while it runs.
func (o *op) executePod(node *wfv1.NodeStatus, tmpl *wfv1.Template, scope expr.Scope, c call) {
	scope["pod.name"] = node.ID
	holder := domain.HolderKey{Namespace: o.wf.Metadata.Namespace, Workflow: o.wf.Metadata.Name, NodeID: node.ID}.String()
	if node.Phase == wfv1.PhasePending && (o.created[node.ID] || o.justGranted[holder]) && !o.launched[node.ID] {
		resolved, err := substitute(*tmpl, scope)
		if err != nil {
			o.complete(node, wfv1.PhaseError, fmt.Sprintf("template %q: %v", tmpl.Name, err))
			return
		}
		resolved.RetryStrategy = nil
		l := Launch{NodeID: node.ID, NodeName: node.Name, Template: resolved, Tokens: o.lockTokens(node)}
		if o.justGranted[holder] && !o.created[node.ID] {
			o.activePods++
		}
		if d, ok := podDeadline(&resolved); ok {
			l.Deadline = o.now.Add(d)
		}
		for _, a := range resolved.Inputs.Artifacts {
			if a.Raw != nil && a.Path != "" {
				if l.InputFiles == nil {
					l.InputFiles = map[string]string{}
				}
				l.InputFiles[a.Path] = a.Raw.Data
			}
		}
		o.plan.Start = append(o.plan.Start, l)
		o.launched[node.ID] = true
		return
	}
	if node.Phase == wfv1.PhaseRunning && node.StartedAt != nil {
		if d, ok := podDeadline(tmpl); ok {
			deadline := node.StartedAt.Add(d)
			if !o.now.Before(deadline.Add(5 * time.Second)) {
				// The executor kills at the deadline itself; this is the
				// backstop for a step whose supervisor was lost.
				o.plan.Kill[node.ID] = PodDeadlineMessage
			} else {
				o.plan.wake(deadline.Add(5 * time.Second))
			}
		}
	}
}

// podDeadline is the shorter of activeDeadlineSeconds and timeout.
func podDeadline(t *wfv1.Template) (time.Duration, bool) {
	var best time.Duration
	ok := false
	if t.ActiveDeadlineSeconds != nil {
		if n, err := strconv.Atoi(t.ActiveDeadlineSeconds.String()); err == nil && n > 0 {
			best, ok = time.Duration(n)*time.Second, true
		}
	}
	if t.Timeout != "" {
		if d, err := ParseDuration(t.Timeout); err == nil && d > 0 && (!ok || d < best) {
			best, ok = d, true
		}
	}
	return best, ok
}

// finishPod records a step's result on its node.
func (o *op) finishPod(n *wfv1.NodeStatus, r *domain.StepResult) {
	if !r.Started.IsZero() && n.StartedAt == nil {
		n.StartedAt = tp(r.Started)
	}
	if r.StartError != "" {
		o.complete(n, wfv1.PhaseError, r.StartError)
		return
	}
	if r.ExecError != "" {
		// The step's own program could not run: its failure, not the
		// engine's, so Failed as in Argo (README: Failed or Error).
		n.Outputs = &wfv1.Outputs{ExitCode: ptr(strconv.Itoa(r.ExitCode))}
		o.complete(n, wfv1.PhaseFailed, fmt.Sprintf("Error (exit code %d): %s", r.ExitCode, r.ExecError))
		if !r.Finished.IsZero() {
			n.FinishedAt = tp(r.Finished)
		}
		return
	}
	globals := map[string]string{}
	if n.Outputs != nil {
		for _, p := range n.Outputs.Parameters {
			globals[p.Name] = p.GlobalName
		}
	}
	out := &wfv1.Outputs{ExitCode: ptr(strconv.Itoa(r.ExitCode))}
	res := strings.TrimRight(r.Stdout, "\n")
	out.Result = &res
	var names []string
	for name := range r.Outputs {
		names = append(names, name)
	}
	sortStrings(names)
	for _, name := range names {
		v := wfv1.AnyString(strings.TrimRight(r.Outputs[name], "\n"))
		out.Parameters = append(out.Parameters, wfv1.Parameter{Name: name, Value: &v, GlobalName: globals[name]})
	}
	if o.overOutputLimit(n, out) {
		return
	}
	n.Outputs = out
	// Argo does not fail a step for a long stdout, but a cut result must
	// not pass for the whole one: the message says so.
	var cut []string
	if r.Truncated {
		cut = append(cut, resultCutMessage)
	}
	switch {
	case r.Killed != "":
		o.complete(n, wfv1.PhaseFailed, strings.Join(append([]string{r.Killed}, cut...), "; "))
	case r.ExitCode != 0:
		o.complete(n, wfv1.PhaseFailed, strings.Join(append([]string{fmt.Sprintf("Error (exit code %d)", r.ExitCode)}, cut...), "; "))
	case len(r.Missing) > 0:
		var msgs []string
		for name, why := range r.Missing {
			msgs = append(msgs, fmt.Sprintf("output parameter %q: %s", name, why))
		}
		sortStrings(msgs)
		o.complete(n, wfv1.PhaseError, strings.Join(append(msgs, cut...), "; "))
	default:
		o.complete(n, wfv1.PhaseSucceeded, strings.Join(cut, "; "))
	}
	if r.Finished.After(time.Time{}) {
		n.FinishedAt = tp(r.Finished)
	}
}
