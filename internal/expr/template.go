package expr

import (
	"fmt"
	"strings"
)

// Scope maps Argo's dotted names ("inputs.parameters.msg",
// "steps.gen.outputs.result", "item") to their string values.
type Scope map[string]string

// Unresolved is returned (wrapped) when a `{{name}}` is not in the scope
// and the caller asked for strict resolution.
type Unresolved struct{ Tag string }

func (u *Unresolved) Error() string { return fmt.Sprintf("unresolved reference {{%s}}", u.Tag) }

// Replace substitutes every placeholder of s. Names missing from scope are
// kept verbatim unless strict is set, in which case the first one is an
// *Unresolved error. Expression errors are always returned.
func Replace(s string, scope Scope, strict bool) (string, error) {
	if !strings.Contains(s, "{{") {
		return s, nil
	}
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		b.WriteString(rest[:i])
		tag := rest[i+2 : i+2+j]
		rest = rest[i+2+j+2:]
		if code, ok := strings.CutPrefix(strings.TrimSpace(tag), "="); ok {
			v, err := Eval(code, scope)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			continue
		}
		name := strings.TrimSpace(tag)
		if v, ok := scope[name]; ok {
			b.WriteString(v)
			continue
		}
		if strict {
			return "", &Unresolved{Tag: name}
		}
		b.WriteString("{{" + tag + "}}")
	}
}

// Tags lists the plain names s refers to (expressions excluded).
func Tags(s string) []string {
	var out []string
	rest := s
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			return out
		}
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			return out
		}
		tag := strings.TrimSpace(rest[i+2 : i+2+j])
		if !strings.HasPrefix(tag, "=") {
			out = append(out, tag)
		}
		rest = rest[i+2+j+2:]
	}
}
