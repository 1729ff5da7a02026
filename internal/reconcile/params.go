package reconcile

import (
	"fmt"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/spec"
)

// OverrideParameters puts each NAME=VALUE (`-p` of argo submit, retry
// and resubmit) first among wf's arguments, replacing the argument of
// that name, as Argo does. On an error wf is unchanged.
func OverrideParameters(wf *wfv1.Workflow, params []string) error {
	if len(params) == 0 {
		return nil
	}
	out := make([]wfv1.Parameter, 0, len(params)+len(wf.Spec.Arguments.Parameters))
	passed := map[string]bool{}
	for _, p := range params {
		name, value, ok := strings.Cut(p, "=")
		if !ok {
			return fmt.Errorf("expected parameter of the form: NAME=VALUE. Received: %.80s", p)
		}
		if err := spec.ValidParamName(name); err != nil {
			return fmt.Errorf("-p %.80q: %w", p, err)
		}
		if passed[name] {
			return fmt.Errorf("-p %.80q: parameter %q is given twice", p, name)
		}
		out = append(out, wfv1.Parameter{Name: name, Value: wfv1.AnyString(value).Ptr()})
		passed[name] = true
	}
	for _, p := range wf.Spec.Arguments.Parameters {
		if !passed[p.Name] {
			out = append(out, p)
		}
	}
	wf.Spec.Arguments.Parameters = out
	return nil
}
