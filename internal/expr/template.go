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
// *Unresolved error. Expression errors are always returned, and so is a
// result longer than MaxValueBytes: `{{big}}` written a thousand times
// must not build a gigabyte.
func Replace(s string, scope Scope, strict bool) (string, error) {
	if !strings.Contains(s, "{{") {
		return s, nil
	}
	out, err := replace(s, scope, strict)
	if err != nil {
		return "", err
	}
	return out.String(), nil
}

// capped is a builder that refuses to grow past MaxValueBytes.
type capped struct {
	strings.Builder
	over bool
}

func (c *capped) add(s string) {
	if c.over || c.Len()+len(s) > MaxValueBytes {
		c.over = true
		return
	}
	c.WriteString(s)
}

func replace(s string, scope Scope, strict bool) (*capped, error) {
	b := &capped{}
	rest := s
	for {
		if b.over {
			return nil, fmt.Errorf("substituting %.60q gives more than %d bytes, over the limit for one substituted value", s, MaxValueBytes)
		}
		i := strings.Index(rest, "{{")
		j := -1
		if i >= 0 {
			j = strings.Index(rest[i+2:], "}}")
		}
		if j < 0 {
			if b.add(rest); b.over {
				continue
			}
			return b, nil
		}
		b.add(rest[:i])
		tag := rest[i+2 : i+2+j]
		rest = rest[i+2+j+2:]
		if code, ok := strings.CutPrefix(strings.TrimSpace(tag), "="); ok {
			v, err := Eval(code, scope)
			if err != nil {
				return nil, err
			}
			b.add(v)
			continue
		}
		name := strings.TrimSpace(tag)
		if v, ok := scope[name]; ok {
			b.add(v)
			continue
		}
		if strict {
			return nil, &Unresolved{Tag: name}
		}
		b.add("{{" + tag + "}}")
	}
}

// Expressions lists the code of the `{{=...}}` expressions of s, as
// Replace finds them.
func Expressions(s string) []string {
	var out []string
	eachTag(s, func(tag string) {
		if code, ok := strings.CutPrefix(tag, "="); ok {
			out = append(out, code)
		}
	})
	return out
}

// Tags lists the plain names s refers to (expressions excluded).
func Tags(s string) []string {
	var out []string
	eachTag(s, func(tag string) {
		if !strings.HasPrefix(tag, "=") {
			out = append(out, tag)
		}
	})
	return out
}

// eachTag calls fn with each `{{...}}` of s, trimmed, in order.
func eachTag(s string, fn func(tag string)) {
	rest := s
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			return
		}
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			return
		}
		fn(strings.TrimSpace(rest[i+2 : i+2+j]))
		rest = rest[i+2+j+2:]
	}
}
