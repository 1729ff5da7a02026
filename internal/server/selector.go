package server

import (
	"fmt"
	"slices"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// requirement is one term of a Kubernetes selector: key, an operator
// (=, !=, in, notin, exists, !exists) and values.
type requirement struct {
	key, op string
	values  []string
}

// parseSelector reads Kubernetes' selector grammar: terms separated by
// commas, each `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`
// or `!k`. fields, when set, lists the keys allowed (field selectors).
func parseSelector(s string, fields []string) ([]requirement, error) {
	var out []requirement
	for _, term := range splitTerms(s) {
		term = strings.TrimSpace(term)
		if term == "" {
			continue
		}
		r, err := parseTerm(term)
		if err != nil {
			return nil, err
		}
		if fields != nil {
			if !slices.Contains(fields, r.key) {
				return nil, fmt.Errorf("field selector %q: field %q is not supported (use one of %s)", term, r.key, strings.Join(fields, ", "))
			}
			if r.op != "=" && r.op != "!=" {
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

func parseTerm(term string) (requirement, error) {
	if k, ok := strings.CutPrefix(term, "!"); ok {
		return requirement{key: strings.TrimSpace(k), op: "!exists"}, checkKey(term, strings.TrimSpace(k))
	}
	for _, op := range []string{" notin ", " in "} {
		if k, v, ok := strings.Cut(term, op); ok {
			v = strings.TrimSpace(v)
			if !strings.HasPrefix(v, "(") || !strings.HasSuffix(v, ")") {
				return requirement{}, fmt.Errorf("selector %q: the values of %q go in parentheses", term, strings.TrimSpace(op))
			}
			var vals []string
			for _, x := range strings.Split(v[1:len(v)-1], ",") {
				vals = append(vals, strings.TrimSpace(x))
			}
			return requirement{key: strings.TrimSpace(k), op: strings.TrimSpace(op), values: vals}, checkKey(term, strings.TrimSpace(k))
		}
	}
	for _, op := range []string{"!=", "==", "="} {
		if k, v, ok := strings.Cut(term, op); ok {
			if op == "==" {
				op = "="
			}
			return requirement{key: strings.TrimSpace(k), op: op, values: []string{strings.TrimSpace(v)}}, checkKey(term, strings.TrimSpace(k))
		}
	}
	return requirement{key: term, op: "exists"}, checkKey(term, term)
}

func checkKey(term, key string) error {
	if key == "" || strings.ContainsAny(key, " ()=!") {
		return fmt.Errorf("selector %q: %q is not a valid key", term, key)
	}
	return nil
}

func (r requirement) matches(get func(string) (string, bool)) bool {
	v, ok := get(r.key)
	switch r.op {
	case "exists":
		return ok
	case "!exists":
		return !ok
	case "=":
		return ok && v == r.values[0]
	case "!=":
		return !ok || v != r.values[0]
	case "in":
		return ok && slices.Contains(r.values, v)
	default: // notin
		return !ok || !slices.Contains(r.values, v)
	}
}

// Argo's labels that the controller sets on every workflow; semaflow
// derives them, so selectors written for Argo keep working.
const (
	labelPhase     = "workflows.argoproj.io/phase"
	labelCompleted = "workflows.argoproj.io/completed"
)

// workflowMatcher builds the filter for a label and a field selector; nil
// means everything matches.
func workflowMatcher(labelSel, fieldSel string) (func(*wfv1.Workflow) bool, error) {
	labels, err := parseSelector(labelSel, nil)
	if err != nil {
		return nil, err
	}
	fields, err := parseSelector(fieldSel, []string{"metadata.name", "metadata.namespace", "metadata.uid", "status.phase"})
	if err != nil {
		return nil, err
	}
	if len(labels)+len(fields) == 0 {
		return nil, nil
	}
	return func(wf *wfv1.Workflow) bool {
		label := func(k string) (string, bool) {
			switch k {
			case labelPhase:
				return wf.Status.Phase, wf.Status.Phase != ""
			case labelCompleted:
				p := wf.Status.Phase
				return fmt.Sprint(p == wfv1.PhaseSucceeded || p == wfv1.PhaseFailed || p == wfv1.PhaseError), true
			}
			v, ok := wf.Metadata.Labels[k]
			return v, ok
		}
		field := func(k string) (string, bool) {
			return map[string]string{"metadata.name": wf.Metadata.Name, "metadata.namespace": wf.Metadata.Namespace,
				"metadata.uid": wf.Metadata.UID, "status.phase": wf.Status.Phase}[k], true
		}
		for _, r := range labels {
			if !r.matches(label) {
				return false
			}
		}
		for _, r := range fields {
			if !r.matches(field) {
				return false
			}
		}
		return true
	}, nil
}
