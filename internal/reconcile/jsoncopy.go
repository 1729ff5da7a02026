package reconcile

import (
	"strings"

	"github.com/semaflow/semaflow/internal/expr"
	"github.com/semaflow/semaflow/internal/jsoncopy"
)

// jsonCopy returns what substitute's JSON round trip gives for v, without
// encoding (jsoncopy.Replace), every string's placeholders replaced as
// replaceTree replaces them. ok is false where jsoncopy does not follow
// the round trip, and for a placeholder that fails: the round trip's
// error depends on which string it meets first. The caller then takes
// the round trip.
func jsonCopy[T any](v *T, scope expr.Scope) (T, bool) {
	return jsoncopy.Replace(v, func(s string) (string, bool) {
		if !strings.Contains(s, "{{") {
			return s, true
		}
		r, err := expr.Replace(s, scope, false)
		if err != nil || checkResolved(r) != nil {
			return "", false
		}
		return r, true
	})
}
