package reconcile

import (
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
)

// skippedOutputs exposes, for a step or task that was skipped or omitted
// and so produced nothing, the output parameters its template declares, as
// Argo does: one with a valueFrom.default gives every consumer (an argument,
// a withParam, a when) that default; one without is an absent optional,
// which an argument that is nothing but a reference to it passes on as "not
// supplied" (see markAbsentArgs). Any other use of it fails with Argo's
// absent-optional message (see firstAbsent).
func (o *op) skippedOutputs(scope expr.Scope, prefix string, inv invocation, ctx *tmplCtx, n *wfv1.NodeStatus) {
	if n == nil || n.Outputs != nil || (n.Phase != wfv1.PhaseSkipped && n.Phase != wfv1.PhaseOmitted) {
		return
	}
	tmpl, _, err := o.resolve(call{tmplCall: inv.tc, ctx: ctx})
	if err != nil {
		return // a template that cannot be found has no outputs to default
	}
	for _, p := range tmpl.Outputs.Parameters {
		key := prefix + ".outputs.parameters." + p.Name
		if p.ValueFrom != nil && p.ValueFrom.Default != nil {
			scope[key] = string(*p.ValueFrom.Default)
		} else {
			scope[absentKey(key)] = "true"
		}
	}
}

// absentKey marks in a scope that key is an absent optional output:
// expressions see nil there.
func absentKey(key string) string { return expr.AbsentKey(key) }

// absentArg is the value an argument takes when it only referred to an
// absent optional output; binding the template's inputs reads it as "not
// supplied", so the input's own default applies.
const absentArg = "\x00absent-optional-output"

// markAbsentArgs returns args with each parameter whose value is exactly
// one reference to an absent optional output replaced by absentArg. A value
// that only mentions one among other text ("x-{{...}}") is left to fail.
func markAbsentArgs(args wfv1.Arguments, scope expr.Scope) wfv1.Arguments {
	var marked []wfv1.Parameter
	for i, p := range args.Parameters {
		if p.Value == nil || !isAbsentRef(string(*p.Value), scope) {
			continue
		}
		if marked == nil {
			marked = append([]wfv1.Parameter(nil), args.Parameters...)
		}
		v := wfv1.AnyString(absentArg)
		marked[i].Value = &v
	}
	if marked != nil {
		args.Parameters = marked
	}
	return args
}

func isAbsentRef(v string, scope expr.Scope) bool {
	inner, ok := strings.CutPrefix(v, "{{")
	if !ok {
		return false
	}
	inner, ok = strings.CutSuffix(inner, "}}")
	if !ok || strings.Contains(inner, "{{") || strings.Contains(inner, "}}") {
		return false
	}
	_, absent := scope[absentKey(strings.TrimSpace(inner))]
	return absent
}
