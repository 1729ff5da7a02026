package spec

import (
	"fmt"
	"slices"
	"strings"
)

// Requirement is one term of a Kubernetes selector: key, an operator
// (=, !=, in, notin, exists, !exists) and values.
type Requirement struct {
	Key, Op string
	Values  []string
}

// Selector is a parsed selector: all its terms must match.
type Selector []Requirement

// Matches tells whether every term holds; get returns a key's value and
// whether the key exists.
func (s Selector) Matches(get func(string) (string, bool)) bool {
	for _, r := range s {
		if !r.Matches(get) {
			return false
		}
	}
	return true
}

// ParseSelector reads Kubernetes' selector grammar: terms separated by
// commas, each `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`
// or `!k`. A field selector passes field, which refuses the keys it does
// not know; its terms then take only =, == and !=.
func ParseSelector(s string, field func(key string) error) (Selector, error) {
	var out Selector
	for _, term := range splitTerms(s) {
		term = strings.TrimSpace(term)
		if term == "" {
			continue
		}
		r, err := parseTerm(term)
		if err != nil {
			return nil, err
		}
		if field != nil {
			if err := field(r.Key); err != nil {
				return nil, fmt.Errorf("field selector %q: %w", term, err)
			}
			if r.Op != "=" && r.Op != "!=" {
				return nil, fmt.Errorf("field selector %q: fields take only =, == and !=", term)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// splitTerms splits on commas outside parentheses.
func splitTerms(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func parseTerm(term string) (Requirement, error) {
	if k, ok := strings.CutPrefix(term, "!"); ok {
		return Requirement{Key: strings.TrimSpace(k), Op: "!exists"}, checkKey(term, strings.TrimSpace(k))
	}
	for _, op := range []string{" notin ", " in "} {
		if k, v, ok := strings.Cut(term, op); ok {
			v = strings.TrimSpace(v)
			if !strings.HasPrefix(v, "(") || !strings.HasSuffix(v, ")") {
				return Requirement{}, fmt.Errorf("selector %q: the values of %q go in parentheses", term, strings.TrimSpace(op))
			}
			var vals []string
			for _, x := range strings.Split(v[1:len(v)-1], ",") {
				vals = append(vals, strings.TrimSpace(x))
			}
			return Requirement{Key: strings.TrimSpace(k), Op: strings.TrimSpace(op), Values: vals}, checkKey(term, strings.TrimSpace(k))
		}
	}
	for _, op := range []string{"!=", "==", "="} {
		if k, v, ok := strings.Cut(term, op); ok {
			if op == "==" {
				op = "="
			}
			return Requirement{Key: strings.TrimSpace(k), Op: op, Values: []string{strings.TrimSpace(v)}}, checkKey(term, strings.TrimSpace(k))
		}
	}
	return Requirement{Key: term, Op: "exists"}, checkKey(term, term)
}

func checkKey(term, key string) error {
	if key == "" || strings.ContainsAny(key, " ()=!") {
		return fmt.Errorf("selector %q: %q is not a valid key", term, key)
	}
	return nil
}

func (r Requirement) Matches(get func(string) (string, bool)) bool {
	v, ok := get(r.Key)
	switch r.Op {
	case "exists":
		return ok
	case "!exists":
		return !ok
	case "=":
		return ok && v == r.Values[0]
	case "!=":
		return !ok || v != r.Values[0]
	case "in":
		return ok && slices.Contains(r.Values, v)
	default: // notin
		return !ok || !slices.Contains(r.Values, v)
	}
}
