package expr

import "strings"

// absentPrefix begins a scope key that marks another key as an absent
// optional. The NUL keeps it apart from any name a manifest can write.
const absentPrefix = "\x00absent:"

// AbsentKey is the scope key that marks key as an absent optional (Argo's
// word): the output of a skipped or omitted node that declares no default,
// or an optional input artifact nobody supplied. A plain {{key}} does not
// resolve; an expression sees nil there, as in Argo's expression env, so
// `key ?? fallback` and `a?.b` choose their fallback.
func AbsentKey(key string) string { return absentPrefix + key }

// nestAbsent puts nil in env at each key the scope marks absent, unless a
// value or a map is there already.
func nestAbsent(env map[string]any, scope Scope) {
	for k := range scope {
		key, ok := strings.CutPrefix(k, absentPrefix)
		if !ok {
			continue
		}
		parts := strings.Split(key, ".")
		m := env
		for i, p := range parts {
			v, exists := m[p]
			if i == len(parts)-1 {
				if !exists {
					m[p] = nil
				}
				break
			}
			next, isMap := v.(map[string]any)
			if !isMap {
				if exists {
					break // a value is there: it is not absent
				}
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
	}
}
