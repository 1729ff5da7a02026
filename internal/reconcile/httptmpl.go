package reconcile

import (
	"fmt"
	"strings"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/expr"
)

// executeHTTP plans an http template's request like a pod's launch: the
// engine makes it (not a step process), under the same locks, deadline,
// parallelism and retries.
func (o *op) executeHTTP(node *wfv1.NodeStatus, tmpl *wfv1.Template, scope expr.Scope, c call) {
	if msg := httpRefusal(tmpl); msg != "" {
		// Every attempt would be refused the same way: not retried.
		o.markUnrunnable(node)
		o.complete(node, wfv1.PhaseError, msg)
		return
	}
	o.executePod(node, tmpl, scope, c)
}

// An http template's timeoutSeconds defaults to Argo's documented 30 and
// may not exceed HTTPMaxTimeout: the engine holds the request.
const (
	HTTPDefaultTimeout = 30 * time.Second
	HTTPMaxTimeout     = 10 * time.Minute
)

// HTTPTimeout is the time an http template's request may take.
func HTTPTimeout(h *wfv1.HTTP) time.Duration {
	if h.TimeoutSeconds == nil {
		return HTTPDefaultTimeout
	}
	return time.Duration(*h.TimeoutSeconds) * time.Second
}

// httpRefusal says why an http template cannot run here; "" if it can.
func httpRefusal(t *wfv1.Template) string {
	if d := HTTPTimeout(t.HTTP); d <= 0 || d > HTTPMaxTimeout {
		return fmt.Sprintf("template %q: http.timeoutSeconds %d is out of range: give 1 to %d (default %d)",
			t.Name, *t.HTTP.TimeoutSeconds, int(HTTPMaxTimeout/time.Second), int(HTTPDefaultTimeout/time.Second))
	}
	for _, h := range t.HTTP.Headers {
		if len(h.ValueFrom) == 0 {
			continue
		}
		what := "valueFrom"
		if _, ok := h.ValueFrom["secretKeyRef"]; ok {
			what = "valueFrom.secretKeyRef"
		}
		return fmt.Sprintf("template %q: http header %q: %s needs a Kubernetes secret, and semaflow has no secret store; give the header a value (for example from a workflow parameter)", t.Name, h.Name, what)
	}
	return ""
}

// finishHTTP records an http request's outcome on its node: the response
// body is outputs.result, and the executor's verdict the phase, with
// Argo's messages.
func (o *op) finishHTTP(n *wfv1.NodeStatus, r *domain.StepResult) {
	if !r.Started.IsZero() && n.StartedAt == nil {
		n.StartedAt = tp(r.Started)
	}
	switch {
	case r.StartError != "":
		o.complete(n, wfv1.PhaseError, r.StartError)
	case r.Killed != "":
		o.complete(n, wfv1.PhaseFailed, r.Killed)
	case r.HTTP == nil:
		o.complete(n, wfv1.PhaseError, "the http request ended without a recorded response")
	default:
		out := &wfv1.Outputs{}
		if r.Stdout != "" || r.HTTP.StatusCode != 0 {
			res := r.Stdout
			out.Result = &res
		}
		if o.overOutputLimit(n, out) {
			return
		}
		if out.Result != nil {
			n.Outputs = out
		}
		if r.HTTP.Failure != "" {
			o.complete(n, wfv1.PhaseFailed, strings.TrimSpace(r.HTTP.Failure))
		} else {
			o.complete(n, wfv1.PhaseSucceeded, "")
		}
	}
	if !r.Finished.IsZero() {
		n.FinishedAt = tp(r.Finished)
	}
}
