package spec

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/semaflow/semaflow/internal/expr"
)

// checkWithheldExpressions reports each `{{=...}}` anywhere in a
// workflow spec that calls a sprig function semaflow's expressions do
// not offer (expr.Withheld): it would fail at run time, after the
// workflow was accepted.
func checkWithheldExpressions(d *Document) {
	spec := d.Spec()
	if spec == nil {
		return
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return
	}
	var tree any
	if json.Unmarshal(b, &tree) != nil {
		return
	}
	eachString(tree, d.specPath(), func(path, s string) {
		if !strings.Contains(s, "{{") {
			return
		}
		for _, code := range expr.Expressions(s) {
			if err := expr.Withheld(code); err != nil {
				d.errorAt(path, "expression %q: %v", strings.TrimSpace(code), err)
			}
		}
	})
}

// eachString calls fn with every string of a decoded JSON value and its
// field path (the form Document positions use).
func eachString(v any, path string, fn func(path, s string)) {
	switch x := v.(type) {
	case string:
		fn(path, x)
	case []any:
		for i, e := range x {
			eachString(e, fmt.Sprintf("%s[%d]", path, i), fn)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			eachString(x[k], path+"."+k, fn)
		}
	}
}
