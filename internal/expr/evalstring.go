package expr

import (
	"fmt"
	"strings"
)

// EvalString evaluates an expression that must yield a string, as a
// workflowMetadata.labelsFrom expression must in Argo: a number or a list
// is an error, not its JSON.
func EvalString(code string, scope Scope) (string, error) {
	out, err := run(code, scope)
	if err != nil {
		return "", err
	}
	s, ok := out.(string)
	if !ok {
		return "", fmt.Errorf("expression %q: got %T, want a string", strings.TrimSpace(code), out)
	}
	return s, nil
}
