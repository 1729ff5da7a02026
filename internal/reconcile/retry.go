package reconcile

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
)

// executeRetry runs attempts of a template with a retryStrategy under a
// Retry node named like the call; attempts are named `<name>(<n>)`.
func (o *op) executeRetry(node *wfv1.NodeStatus, tmpl *wfv1.Template, ctx *tmplCtx, scope expr.Scope, c call, depth int) {
	rs := tmpl.RetryStrategy
	var last *wfv1.NodeStatus
	if k := len(node.Children); k > 0 {
		last = o.nodes[node.Children[k-1]]
	}
	attempt := len(node.Children)
	if last != nil && !fulfilled(last) {
		attempt--
	} else if last != nil {
		if last.Phase == wfv1.PhaseSucceeded || last.Phase == wfv1.PhaseSkipped {
			node.Outputs = last.Outputs
			o.complete(node, last.Phase, "")
			return
		}
		if msg, stop := o.retryStop(node, last, rs, scope); stop {
			o.complete(node, last.Phase, msg)
			return
		}
		wait := backoff(rs, len(node.Children))
		if last.FinishedAt != nil && o.now.Before(last.FinishedAt.Add(wait)) {
			o.plan.wake(last.FinishedAt.Add(wait))
			return
		}
	}
	sc := c
	sc.name = fmt.Sprintf("%s(%d)", c.name, attempt)
	sc.displayName = fmt.Sprintf("%s(%d)", c.displayName, attempt)
	sc.parentID = node.ID
	sc.isAttempt, sc.attempt = true, attempt
	sc.tmpl = ""
	child := o.execute(sc, depth)
	if child != nil && fulfilled(child) && o.changed[child.ID] {
		// An attempt that ends at once (a bad template) is assessed now.
		o.executeRetry(node, tmpl, ctx, scope, c, depth)
	}
}

// retryStop says whether no further attempt may run, and why.
func (o *op) retryStop(node, last *wfv1.NodeStatus, rs *wfv1.RetryStrategy, scope expr.Scope) (string, bool) {
	if o.shutdown != "" {
		return last.Message, true
	}
	policy := rs.RetryPolicy
	if policy == "" {
		policy = wfv1.RetryPolicyOnFailure
	}
	switch policy {
	case wfv1.RetryPolicyOnFailure:
		if last.Phase != wfv1.PhaseFailed {
			return last.Message, true
		}
	case wfv1.RetryPolicyOnError, wfv1.RetryPolicyOnTransientError:
		if last.Phase != wfv1.PhaseError {
			return last.Message, true
		}
	}
	if rs.Limit != nil {
		limit, err := strconv.Atoi(rs.Limit.String())
		if err == nil && len(node.Children) > limit {
			return "No more retries left", true
		}
	}
	if rs.Backoff != nil && rs.Backoff.MaxDuration != "" && node.StartedAt != nil {
		if d, err := ParseDuration(rs.Backoff.MaxDuration); err == nil && o.now.Sub(*node.StartedAt) > d {
			return "Max duration limit exceeded", true
		}
	}
	if rs.Expression != "" {
		sc := withItem(scope, expr.Scope{"lastRetry.status": last.Phase, "lastRetry.message": last.Message,
			"lastRetry.exitCode": "-1", "lastRetry.duration": "0"})
		if last.Outputs != nil && last.Outputs.ExitCode != nil {
			sc["lastRetry.exitCode"] = *last.Outputs.ExitCode
		}
		if last.StartedAt != nil && last.FinishedAt != nil {
			sc["lastRetry.duration"] = strconv.FormatFloat(last.FinishedAt.Sub(*last.StartedAt).Seconds(), 'f', -1, 64)
		}
		ok, err := expr.EvalBool(rs.Expression, sc)
		if err != nil {
			return err.Error(), true
		}
		if !ok {
			return last.Message, true
		}
	}
	return "", false
}

// backoff is the wait before attempt n (n >= 1): duration * factor^(n-1),
// capped by backoff.cap.
func backoff(rs *wfv1.RetryStrategy, n int) time.Duration {
	b := rs.Backoff
	if b == nil || b.Duration == "" {
		return 0
	}
	d, err := ParseDuration(b.Duration)
	if err != nil {
		return 0
	}
	factor := 1.0
	if b.Factor != nil {
		if f, err := strconv.ParseFloat(b.Factor.String(), 64); err == nil {
			factor = f
		}
	}
	wait := time.Duration(float64(d) * math.Pow(factor, float64(n-1)))
	if b.Cap != "" {
		if c, err := ParseDuration(b.Cap); err == nil && wait > c {
			wait = c
		}
	}
	return wait
}
