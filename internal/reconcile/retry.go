package reconcile

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
)

// executeRetry runs attempts of a template with a retryStrategy under a
// Retry node named like the call; attempts are named `<name>(<n>)`.
// Each pass assesses the last attempt and starts at most one more; an
// attempt that ends at once (a bad template) is assessed by the next
// pass. Every pass makes a node, so the node limit bounds the loop even
// for a strategy without a limit.
func (o *op) executeRetry(node *wfv1.NodeStatus, tmpl *wfv1.Template, ctx *tmplCtx, scope expr.Scope, c call, depth int) {
	rs := tmpl.RetryStrategy
	for pass := 0; pass <= o.limits.MaxNodes; pass++ {
		tries := o.attempts(node)
		var last *wfv1.NodeStatus
		if k := len(tries); k > 0 {
			last = tries[k-1]
		}
		attempt := len(tries)
		if last != nil && !fulfilled(last) {
			attempt--
		} else if last != nil {
			if last.Phase == wfv1.PhaseSucceeded || last.Phase == wfv1.PhaseSkipped {
				node.Outputs = last.Outputs
				o.complete(node, last.Phase, "")
				return
			}
			if msg, stop := o.retryStop(node, last, len(tries), rs, scope); stop {
				o.complete(node, last.Phase, msg)
				return
			}
			wait := backoff(rs, len(tries))
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
		if child == nil || !fulfilled(child) || !o.changed[child.ID] {
			return
		}
	}
}

// attempts lists a Retry node's attempts in order. Its other children
// are the nodes of the step's hooks, which Argo parents there too.
func (o *op) attempts(node *wfv1.NodeStatus) []*wfv1.NodeStatus {
	var out []*wfv1.NodeStatus
	for _, id := range node.Children {
		if n := o.nodes[id]; n != nil && isAttemptOf(node, n) {
			out = append(out, n)
		}
	}
	return out
}

// isAttemptOf says whether n is an attempt of the Retry node r: flagged
// so, or, for nodes written before flags, named `<r>(<digits>)`.
func isAttemptOf(r, n *wfv1.NodeStatus) bool {
	if n.NodeFlag != nil {
		return n.NodeFlag.Retried
	}
	num, ok := strings.CutPrefix(n.Name, r.Name+"(")
	if !ok {
		return false
	}
	num, ok = strings.CutSuffix(num, ")")
	_, err := strconv.Atoi(num)
	return ok && err == nil
}

// retryStop says whether no further attempt may run, and why.
func (o *op) retryStop(node, last *wfv1.NodeStatus, tries int, rs *wfv1.RetryStrategy, scope expr.Scope) (string, bool) {
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
		if err == nil && tries > limit {
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
