package expr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/PaesslerAG/gval"
	"github.com/PaesslerAG/jsonpath"
)

// Eval evaluates an expr-lang expression against the scope, laid out as
// nested maps the way Argo exposes it (`inputs.parameters.x`,
// `inputs.parameters['week-temps']`, `sprig.trim(...)`). Strings come back
// as they are; other values as JSON.
//
// A nil result is an error, as in Argo: it is an absent optional output
// or a missing key that no `??` caught, and "" would pass for a value.
func Eval(code string, scope Scope) (string, error) {
	out, err := run(code, scope)
	if err != nil {
		return "", err
	}
	if out == nil {
		return "", fmt.Errorf("expression %q: %w", strings.TrimSpace(code), ErrNil)
	}
	return stringify(out)
}

// ErrNil says an expression evaluated to nil.
var ErrNil = errors.New("evaluates to nil (an absent optional output or a missing key; use ?? to give a fallback)")

// EvalBool evaluates an expression that must yield a boolean, as retry
// and hook expressions do.
func EvalBool(code string, scope Scope) (bool, error) {
	out, err := run(code, scope)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("expression %q: got %T, want a boolean", strings.TrimSpace(code), out)
	}
	return b, nil
}

// EvalBoolEnv is EvalBool over typed values rather than a scope of
// strings: an http template's successCondition compares
// response.statusCode as a number and indexes response.headers. vars is
// not changed.
func EvalBoolEnv(code string, vars map[string]any) (bool, error) {
	env := make(map[string]any, len(vars))
	maps.Copy(env, vars)
	out, err := runEnv(code, env)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("expression %q: got %T, want a boolean", strings.TrimSpace(code), out)
	}
	return b, nil
}

func stringify(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case nil:
		return "", nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("expression result: %w", err)
	}
	return string(b), nil
}

// envOf nests the flat scope. A key that is both a value and a prefix
// ("inputs.parameters" holds JSON, "inputs.parameters.x" a value) becomes
// the map, so `inputs.parameters['x']` works in expressions.
func envOf(scope Scope) map[string]any {
	env := map[string]any{}
	for k, v := range scope {
		if strings.HasPrefix(k, absentPrefix) {
			continue
		}
		parts := strings.Split(k, ".")
		m := env
		for i, p := range parts {
			if i == len(parts)-1 {
				if _, isMap := m[p].(map[string]any); !isMap {
					m[p] = v
				}
				break
			}
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
	}
	nestAbsent(env, scope)
	return env
}

// ownFunctions are the functions Argo adds to expr-lang's builtins.
func ownFunctions() map[string]any {
	return map[string]any{
		"asInt":    asInt,
		"asFloat":  asFloat,
		"jsonpath": jsonPath,
		"toJson":   toJSON,
	}
}

func asInt(v any) (int64, error) {
	switch x := v.(type) {
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case float64:
		return int64(x), nil
	case string:
		return strconv.ParseInt(strings.TrimSpace(x), 10, 64)
	}
	return 0, fmt.Errorf("asInt: cannot convert %T", v)
}

func asFloat(v any) (float64, error) {
	switch x := v.(type) {
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case float64:
		return x, nil
	case string:
		return strconv.ParseFloat(strings.TrimSpace(x), 64)
	}
	return 0, fmt.Errorf("asFloat: cannot convert %T", v)
}

func jsonPath(doc any, path string) (any, error) {
	var data any
	switch x := doc.(type) {
	case string:
		if err := json.Unmarshal([]byte(x), &data); err != nil {
			return nil, fmt.Errorf("jsonpath: input is not JSON: %w", err)
		}
	default:
		data = x
	}
	eval, err := jsonPathLang.NewEvaluable(path)
	if err != nil {
		return nil, fmt.Errorf("jsonpath %q: %w", path, err)
	}
	return eval(context.Background(), data)
}

// jsonPathLang adds arithmetic, comparison and logic to JSONPath filters,
// so `[?(@.age>42 && @.age<44)]` works.
var jsonPathLang = gval.NewLanguage(gval.Full(), jsonpath.Language())

func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
