package expr

import (
	"fmt"
	"strings"

	"github.com/Knetic/govaluate"
)

// When evaluates a substituted `when` condition. Argo evaluates these with
// govaluate after turning every bare word into a string literal, so
// `heads == heads` is true without quotes; using the same library keeps
// every operator (`=~`, `&&`, numeric comparison) identical.
func When(cond string) (ok bool, err error) {
	// govaluate panics on some malformed input (found by fuzzing): a bad
	// condition must fail its step, not the engine.
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, fmt.Errorf("invalid when condition %q: %v", cond, r)
		}
	}()
	cond = strings.TrimSpace(cond)
	if cond == "" {
		return true, nil
	}
	e, err := govaluate.NewEvaluableExpression(cond)
	if err != nil {
		return false, fmt.Errorf("invalid when condition %q: %w (hint: quote values that contain spaces or dashes)", cond, err)
	}
	toks := e.Tokens()
	for i := range toks {
		if toks[i].Kind == govaluate.VARIABLE {
			toks[i].Kind = govaluate.STRING
		}
	}
	e, err = govaluate.NewEvaluableExpressionFromTokens(toks)
	if err != nil {
		return false, fmt.Errorf("invalid when condition %q: %w", cond, err)
	}
	out, err := e.Evaluate(map[string]any{})
	if err != nil {
		return false, fmt.Errorf("when condition %q: %w", cond, err)
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("when condition %q gives %v, not a boolean", cond, out)
	}
	return b, nil
}
