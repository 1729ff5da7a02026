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

// retryStrategy is the strategy a template runs under: its own, else the
// workflow's spec.retryStrategy, which Argo applies to every template
// (steps, DAGs, hooks and exit handlers too).
func (o *op) retryStrategy(tmpl *wfv1.Template) *wfv1.RetryStrategy {
	if tmpl.RetryStrategy != nil {
		return tmpl.RetryStrategy
	}
	return o.spec.RetryStrategy
}

// executeRetry runs attempts of a template with a retryStrategy under a
// Retry node named like the call; attempts are named `<name>(<n>)`.
// Each pass assesses the last attempt and starts at most one more; an
// attempt that ends at once (a bad template) is assessed by the next
// pass. Every pass makes a node, so the node limit bounds the loop even
// for a strategy without a limit.
func (o *op) executeRetry(node *wfv1.NodeStatus, tmpl *wfv1.Template, scope expr.Scope, c call, depth int) {
	rs, limit, err := resolveRetry(o.retryStrategy(tmpl), scope)
	if err != nil {
		o.complete(node, wfv1.PhaseError, fmt.Sprintf("template %q: %v", tmpl.Name, err))
		return
	}
	tries := o.attempts(node)
	for pass := 0; pass <= o.limits.MaxNodes; pass++ {
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
			if phase, msg, stop := o.retryStop(tries, rs, limit, scope); stop {
				o.complete(node, phase, msg)
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
		if child != nil {
			o.followDaemon(node, child)
		}
		if child == nil || !fulfilled(child) || !o.changed[child.ID] {
			return
		}
		if attempt == len(tries) {
			tries = append(tries, child)
		}
	}
}

// resolveRetry substitutes the template's inputs into its strategy (a
// limit may be `{{inputs.parameters.n}}`) and reads the limit; -1 means
// none. A limit that is not an integer is an error, never "no limit".
func resolveRetry(rs *wfv1.RetryStrategy, scope expr.Scope) (*wfv1.RetryStrategy, int, error) {
	out, err := substitute(*rs, scope)
	if err != nil {
		return nil, 0, fmt.Errorf("retryStrategy: %w", err)
	}
	if out.Limit == nil {
		return &out, -1, nil
	}
	limit, err := strconv.Atoi(out.Limit.String())
	if err != nil || limit < 0 {
		return nil, 0, fmt.Errorf("retryStrategy.limit %q is not an integer of at least 0", out.Limit.String())
	}
	return &out, limit, nil
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

// markUnrunnable records that node failed the same way any attempt
// would (a template type semaflow cannot run), so it is not retried. The
// Retry node ends in the call that made the attempt, so the mark need not
// outlive the call.
func (o *op) markUnrunnable(node *wfv1.NodeStatus) {
	if o.unrunnable == nil {
		o.unrunnable = map[string]bool{}
	}
	o.unrunnable[node.ID] = true
}

// retryStop says whether no further attempt may run after the failed
// last of tries, and how the Retry node ends. The checks and messages
// are Argo's (processNodeRetries), in its order.
func (o *op) retryStop(tries []*wfv1.NodeStatus, rs *wfv1.RetryStrategy, limit int, scope expr.Scope) (phase, msg string, stop bool) {
	last := tries[len(tries)-1]
	if o.shutdown != "" || o.unrunnable[last.ID] {
		return last.Phase, last.Message, true
	}
	if b := rs.Backoff; b != nil && b.MaxDuration != "" && tries[0].StartedAt != nil {
		if d, err := ParseDuration(b.MaxDuration); err == nil {
			deadline := tries[0].StartedAt.Add(d)
			if o.now.After(deadline) {
				return last.Phase, "Max duration limit exceeded", true
			}
			if last.FinishedAt != nil && last.FinishedAt.Add(backoff(rs, len(tries))).After(deadline) {
				return last.Phase, "Backoff would exceed max duration limit", true
			}
		}
	}
	if !retriesOn(rs.RetryPolicy, last) {
		return last.Phase, last.Message, true
	}
	if limit >= 0 && len(tries) > limit {
		return last.Phase, "No more retries left", true
	}
	if rs.Expression != "" {
		sc := withItem(scope, expr.Scope{"retries": strconv.Itoa(len(tries) - 1),
			"lastRetry.status": last.Phase, "lastRetry.message": last.Message,
			"lastRetry.exitCode": "-1", "lastRetry.duration": "0"})
		if last.Outputs != nil && last.Outputs.ExitCode != nil {
			sc["lastRetry.exitCode"] = *last.Outputs.ExitCode
		}
		if last.StartedAt != nil && last.FinishedAt != nil {
			sc["lastRetry.duration"] = strconv.FormatFloat(last.FinishedAt.Sub(*last.StartedAt).Seconds(), 'f', -1, 64)
		}
		ok, err := expr.EvalBool(rs.Expression, sc)
		if err != nil {
			return wfv1.PhaseError, fmt.Sprintf("retryStrategy.expression: %v", err), true
		}
		if !ok {
			return last.Phase, "retryStrategy.expression evaluated to false", true
		}
	}
	return "", "", false
}

// retriesOn says whether a retryPolicy retries the failed attempt n.
func retriesOn(policy string, n *wfv1.NodeStatus) bool {
	switch policy {
	case wfv1.RetryPolicyAlways:
		return true
	case wfv1.RetryPolicyOnError:
		return n.Phase == wfv1.PhaseError
	case wfv1.RetryPolicyOnTransientError:
		return isTransient(n.Message)
	default: // OnFailure, Argo's default
		return n.Phase == wfv1.PhaseFailed
	}
}

// transientMarks are the parts of an error message that Argo takes for a
// passing network or API server fault (util/errors); a local step meets
// the network ones when it could not reach what it needs.
var transientMarks = []string{
	"connection reset by peer", "connection refused", "connection timed out", "i/o timeout",
	"TLS handshake timeout", "Connection closed by foreign host", "http2: client connection lost",
	"server sent GOAWAY", "unexpected EOF", "invalid connection",
	"etcdserver: leader changed", "etcdserver: request timed out", "etcdserver: too many requests",
	"exceeded quota", "resource quota evaluation timed out",
}

func isTransient(msg string) bool {
	for _, m := range transientMarks {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
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
	wait := time.Duration(min(float64(d)*math.Pow(factor, float64(n-1)), math.MaxInt64/2))
	if b.Cap != "" {
		if c, err := ParseDuration(b.Cap); err == nil && wait > c {
			wait = c
		}
	}
	return wait
}
