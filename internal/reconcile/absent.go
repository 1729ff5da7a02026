package reconcile

import (
	"fmt"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
)

// absentOptional says whether tag, missing from scope, names an output of
// a step or task that was skipped or omitted: Argo calls it an absent
// optional (the output declares no default, or the default would be in
// scope). A reference to one is an error, never the placeholder's text.
func absentOptional(tag string, scope expr.Scope) bool {
	if _, ok := scope[tag]; ok {
		return false
	}
	for _, kind := range []string{"steps.", "tasks."} {
		rest, ok := strings.CutPrefix(tag, kind)
		if !ok {
			continue
		}
		name, _, ok := strings.Cut(rest, ".outputs.")
		if !ok {
			return false
		}
		st := scope[kind+name+".status"]
		return st == wfv1.PhaseSkipped || st == wfv1.PhaseOmitted
	}
	return false
}

// absentOptionalError is Argo's message for a reference to an absent
// optional.
func absentOptionalError(tag string) error {
	return fmt.Errorf("unable to substitute {{%s}}: output is an absent optional (skipped/omitted node with no default)", tag)
}

// checkAbsent fails on the first plain reference of s to an absent
// optional.
func checkAbsent(s string, scope expr.Scope) error {
	for _, tag := range expr.Tags(s) {
		if absentOptional(tag, scope) {
			return absentOptionalError(tag)
		}
	}
	return nil
}
