package reconcile

import (
	"sort"
	"strings"

	"github.com/semaflow/semaflow/internal/expr"
)

// resultCutMessage is a node's message when the executor kept only the
// first MaxResult (256 KiB) of its stdout for outputs.result.
const resultCutMessage = "outputs.result was cut to 256 KiB"

// cutKey marks in a scope that prefix's outputs.result was cut. The key
// has no dots and starts with a NUL, so no template or expression can name
// it, and it does not turn outputs.result into a map in expressions.
func cutKey(prefix string) string {
	return "\x00cut:" + strings.ReplaceAll(prefix, ".", "/")
}

// cutRefs names the cut results a withParam refers to, so a JSON error on
// a cut value says the value was cut rather than only that it is not JSON.
func cutRefs(param string, scope expr.Scope) string {
	var refs []string
	for k := range scope {
		rest, ok := strings.CutPrefix(k, "\x00cut:")
		if !ok {
			continue
		}
		ref := strings.ReplaceAll(rest, "/", ".") + ".outputs.result"
		if strings.Contains(param, ref) {
			refs = append(refs, ref)
		}
	}
	if len(refs) == 0 {
		return ""
	}
	sort.Strings(refs)
	return " (" + strings.Join(refs, ", ") + " was cut to 256 KiB: the step wrote more to stdout)"
}
