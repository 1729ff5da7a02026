package reconcile

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/expr"
	"github.com/semaflow/semaflow/internal/spec"
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
		if isDaemon(tmpl) && o.daemonOverLimit(node) {
			o.complete(node, wfv1.PhaseError, daemonLimitMessage(tmpl.Name))
			return
		}
		resolved, err := substitute(*tmpl, scope)
		if err != nil {
			o.complete(node, wfv1.PhaseError, fmt.Sprintf("template %q: %v", tmpl.Name, err))
			return
		}
		resolved.RetryStrategy = nil
		if resolved.Inputs.Artifacts, err = boundInputArtifacts(resolved.Inputs.Artifacts, scope); err != nil {
			o.complete(node, wfv1.PhaseError, fmt.Sprintf("template %q: %v", tmpl.Name, err))
			return
		}
		if probs := spec.StoreProblems(&resolved, o.archiveLogs(tmpl)); len(probs) > 0 {
			// Lint reports these; a run that bypassed it must not store
			// an artifact elsewhere and succeed.
			o.markUnrunnable(node)
			o.complete(node, wfv1.PhaseError, fmt.Sprintf("template %q: %v", tmpl.Name, probs[0]))
			return
		}
		outputKeys(o.wf.Metadata.Name, node.ID, resolved.Outputs.Artifacts)
		literalOutputs(node, &resolved)
		l := Launch{NodeID: node.ID, NodeName: node.Name, Template: resolved, Tokens: o.lockTokens(node)}
		if resolved.Data != nil {
			if l.Data, err = dataJob(&resolved, scope); err != nil {
				o.markUnrunnable(node)
				o.complete(node, wfv1.PhaseError, fmt.Sprintf("template %q: %v", tmpl.Name, err))
				return
			}
		}
		if o.archiveLogs(tmpl) {
			l.LogsKey = o.wf.Metadata.Name + "/" + node.ID + "/main.log"
		}
		if o.justGranted[holder] && !o.created[node.ID] {
			o.activePods++
		}
		d, ok, err := podDeadline(&resolved)
		if err != nil {
			// Argo fails the node too: a deadline that does not parse
			// must not leave the step to run without one.
			o.markUnrunnable(node)
			o.complete(node, wfv1.PhaseError, fmt.Sprintf("template %q: %v", tmpl.Name, err))
			return
		}
		if ok {
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
		if msg := probeWaitMessage(&resolved); msg != "" {
			node.Message = msg
			o.touch(node)
		}
		return
	}
	if node.Phase == wfv1.PhaseRunning && isDaemon(tmpl) {
		o.daemonReady(node)
	}
	if node.Phase == wfv1.PhaseRunning && node.StartedAt != nil {
		// Unresolved here: a deadline from a parameter does not parse, and
		// the executor's own kill is all there is for it.
		if d, ok, _ := podDeadline(tmpl); ok {
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

// podDeadline is the shorter of activeDeadlineSeconds and timeout (one
// of 0 is none); an error says activeDeadlineSeconds is not a whole
// number of seconds greater than 0 (Argo's pod would be refused), or
// timeout not a duration.
func podDeadline(t *wfv1.Template) (time.Duration, bool, error) {
	var best time.Duration
	ok := false
	if t.ActiveDeadlineSeconds != nil {
		s := t.ActiveDeadlineSeconds.String()
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return 0, false, fmt.Errorf("activeDeadlineSeconds %q is not a whole number of seconds greater than 0", s)
		}
		best, ok = time.Duration(n)*time.Second, true
	}
	if t.Timeout != "" {
		d, err := ParseDuration(t.Timeout)
		if err != nil {
			return 0, false, fmt.Errorf("timeout %q is not a duration (like 30s or 5m)", t.Timeout)
		}
		if d > 0 && (!ok || d < best) {
			best, ok = d, true
		}
	}
	return best, ok, nil
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
	if o.finishDaemon(n, r.Killed, r.ExitCode) {
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
	out := &wfv1.Outputs{ExitCode: ptr(strconv.Itoa(r.ExitCode))}
	res := strings.TrimRight(r.Stdout, "\n")
	out.Result = &res
	out.Parameters = podParameters(n.Outputs, r.Outputs)
	out.Artifacts = podArtifacts(r.Artifacts)
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
	case r.Message != "":
		// An init container or sidecar failed (its pod runner says which).
		o.complete(n, wfv1.PhaseFailed, strings.Join(append([]string{r.Message}, cut...), "; "))
	case r.ExitCode != 0:
		o.complete(n, wfv1.PhaseFailed, strings.Join(append([]string{fmt.Sprintf("Error (exit code %d)", r.ExitCode)}, cut...), "; "))
	case len(r.ArtifactErrors) > 0:
		o.complete(n, wfv1.PhaseError, strings.Join(append(append([]string(nil), r.ArtifactErrors...), cut...), "; "))
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

// literalOutputs records, at launch, the output parameters whose value is
// the template's own (`value`, substituted): Argo's executor reads only
// valueFrom.path and reports the others as the template has them.
func literalOutputs(node *wfv1.NodeStatus, resolved *wfv1.Template) {
	if node.Outputs == nil {
		return
	}
	for _, p := range resolved.Outputs.Parameters {
		if p.Value == nil || (p.ValueFrom != nil && p.ValueFrom.Path != "") {
			continue
		}
		for i := range node.Outputs.Parameters {
			if q := &node.Outputs.Parameters[i]; q.Name == p.Name {
				v := *p.Value
				q.Value = &v
			}
		}
	}
}

// podParameters is a finished pod's output parameters: those read from
// files, then the literal values recorded at launch, each with the
// globalName seeded when the node was made.
func podParameters(seeded *wfv1.Outputs, read map[string]string) []wfv1.Parameter {
	globals := map[string]string{}
	var out []wfv1.Parameter
	if seeded != nil {
		for _, p := range seeded.Parameters {
			globals[p.Name] = p.GlobalName
		}
	}
	names := make([]string, 0, len(read))
	for name := range read {
		names = append(names, name)
	}
	sortStrings(names)
	for _, name := range names {
		v := wfv1.AnyString(strings.TrimRight(read[name], "\n"))
		out = append(out, wfv1.Parameter{Name: name, Value: &v, GlobalName: globals[name]})
	}
	if seeded != nil {
		for _, p := range seeded.Parameters {
			if _, ok := read[p.Name]; !ok && p.Value != nil {
				out = append(out, wfv1.Parameter{Name: p.Name, Value: p.Value, GlobalName: p.GlobalName})
			}
		}
	}
	return out
}
