package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The workflow as `semaflow get -o json` shows it: only the fields Argo's
// tests look at.
type workflow struct {
	Metadata struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	Status struct {
		Phase    string          `json:"phase"`
		Message  string          `json:"message"`
		Progress string          `json:"progress"`
		Nodes    map[string]node `json:"nodes"`
	} `json:"status"`
	raw []byte // as the server sent it, kept beside the results
}

type param struct {
	Name  string  `json:"name"`
	Value *string `json:"value"`
}

type node struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	DisplayName   string   `json:"displayName"`
	Type          string   `json:"type"`
	Phase         string   `json:"phase"`
	Message       string   `json:"message"`
	Children      []string `json:"children"`
	OutboundNodes []string `json:"outboundNodes"`
	Inputs        *struct {
		Parameters []param `json:"parameters"`
	} `json:"inputs"`
	Outputs *struct {
		Parameters []param `json:"parameters"`
		Result     *string `json:"result"`
	} `json:"outputs"`
	NodeFlag *struct {
		Hooked  bool `json:"hooked"`
		Retried bool `json:"retried"`
	} `json:"nodeFlag"`
	MemoizationStatus *struct {
		Hit bool `json:"hit"`
	} `json:"memoizationStatus"`
}

func (w *workflow) done() bool {
	switch w.Status.Phase {
	case "Succeeded", "Failed", "Error":
		return true
	}
	return false
}

// sortedNodes gives a fixed order, so a selector that several nodes match
// always picks the same one (Argo's tests pick by map order).
func (w *workflow) sortedNodes() []node {
	out := make([]node, 0, len(w.Status.Nodes))
	for _, n := range w.Status.Nodes {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// A check is one assertion of an Argo test, written as
//
//	phase=Succeeded | message~text | message<~text | nodes=7 | nodes<=10 |
//	progress=1/2 | label:key=value | deleted | memohit | log~text |
//	node[SEL] | node[SEL].FIELD OP VALUE | all[SEL].FIELD OP VALUE
//
// OP is = != ~ (contains) <~ (is contained in) <= (numbers). SEL is d:NAME
// (display name), n:NAME (name), c:TEXT (name contains), type:A|B, phase:P,
// exit (display name ends .onExit) or root; {wf} stands for the workflow name.
// FIELD is phase, type, message, children, outbound, in.I, out.I, inputs,
// result, hooked, retried, nodeflag (nil or set), inretry (a child of a Retry
// node).
var ops = []string{"!=", "<~", "<=", "=", "~"}

func splitOp(s string) (lhs, op, rhs string, ok bool) {
	best := -1
	for _, o := range ops {
		if i := strings.Index(s, o); i >= 0 && (best < 0 || i < best || (i == best && len(o) > len(op))) {
			best, op = i, o
		}
	}
	if best < 0 {
		return s, "", "", false
	}
	return s[:best], op, s[best+len(op):], true
}

// splitNode cuts "node[SEL].rest" into SEL and rest, matching brackets, since
// display names such as "[0]" hold brackets too.
func splitNode(c string) (all bool, sel, rest string, err error) {
	switch {
	case strings.HasPrefix(c, "node["):
		c = c[len("node"):]
	case strings.HasPrefix(c, "all["):
		all, c = true, c[len("all"):]
	default:
		return false, "", "", fmt.Errorf("not a node check")
	}
	depth := 0
	for i, r := range c {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				return all, c[1:i], c[i+1:], nil
			}
		}
	}
	return false, "", "", fmt.Errorf("unbalanced brackets")
}

func validCheck(c string) error {
	_, err := evalCheck(c, &workflow{}, nil)
	if err != nil && strings.HasPrefix(err.Error(), "syntax: ") {
		return err
	}
	return nil
}

// evalCheck returns nil when the check holds; a "syntax: " error when it
// cannot be read; otherwise what differs.
func evalCheck(c string, w *workflow, logs func() (string, error)) (bool, error) {
	if strings.HasPrefix(c, "node[") || strings.HasPrefix(c, "all[") {
		return evalNodeCheck(c, w)
	}
	if c == "deleted" || c == "memohit" {
		if c == "memohit" {
			for _, n := range w.Status.Nodes {
				if n.MemoizationStatus != nil && n.MemoizationStatus.Hit {
					return true, nil
				}
			}
			return false, fmt.Errorf("no node has memoizationStatus.hit")
		}
		return false, fmt.Errorf("the workflow is still there") // the runner answers deleted itself
	}
	lhs, op, rhs, ok := splitOp(c)
	if !ok {
		return false, fmt.Errorf("syntax: no operator")
	}
	var got string
	switch {
	case lhs == "phase":
		got = w.Status.Phase
	case lhs == "message":
		got = w.Status.Message
	case lhs == "progress":
		got = w.Status.Progress
	case lhs == "nodes":
		got = strconv.Itoa(len(w.Status.Nodes))
	case strings.HasPrefix(lhs, "label:"):
		got = w.Metadata.Labels[strings.TrimPrefix(lhs, "label:")]
	case lhs == "log":
		if logs == nil {
			return false, fmt.Errorf("logs not read")
		}
		l, err := logs()
		if err != nil {
			return false, err
		}
		got = l
	default:
		return false, fmt.Errorf("syntax: unknown subject %q", lhs)
	}
	return compare("workflow "+lhs, got, op, rhs)
}

func compare(what, got, op, want string) (bool, error) {
	var ok bool
	switch op {
	case "=":
		ok = got == want
	case "!=":
		ok = got != want
	case "~":
		ok = strings.Contains(got, want)
	case "<~":
		ok = got != "" && strings.Contains(want, got)
	case "<=":
		g, err1 := strconv.Atoi(got)
		wn, err2 := strconv.Atoi(want)
		if err2 != nil {
			return false, fmt.Errorf("syntax: %q is not a number", want)
		}
		ok = err1 == nil && g <= wn
	}
	if ok {
		return true, nil
	}
	if len(got) > 200 {
		got = got[:200] + "..."
	}
	return false, fmt.Errorf("%s is %q, want %s %q", what, got, op, want)
}

func selects(sel string, n node, w *workflow) (bool, error) {
	sel = strings.ReplaceAll(sel, "{wf}", w.Metadata.Name)
	key, val, _ := strings.Cut(sel, ":")
	switch key {
	case "d":
		return n.DisplayName == val, nil
	case "n":
		return n.Name == val, nil
	case "c":
		return strings.Contains(n.Name, val), nil
	case "type":
		for _, t := range strings.Split(val, "|") {
			if n.Type == t {
				return true, nil
			}
		}
		return false, nil
	case "phase":
		return n.Phase == val, nil
	case "exit":
		return strings.HasSuffix(n.DisplayName, ".onExit"), nil
	case "root":
		return n.Name == w.Metadata.Name, nil
	}
	return false, fmt.Errorf("syntax: unknown selector %q", sel)
}

func evalNodeCheck(c string, w *workflow) (bool, error) {
	all, sel, rest, err := splitNode(c)
	if err != nil {
		return false, fmt.Errorf("syntax: %w", err)
	}
	var field, op, want string
	if rest != "" {
		var ok bool
		field, op, want, ok = splitOp(strings.TrimPrefix(rest, "."))
		if !ok || !strings.HasPrefix(rest, ".") {
			return false, fmt.Errorf("syntax: want node[SEL].FIELD OP VALUE")
		}
	}
	if _, err := selects(sel, node{}, w); err != nil {
		return false, err
	}
	if _, err := nodeField(field, node{}, w); err != nil && strings.HasPrefix(err.Error(), "syntax: ") {
		return false, err
	}
	matched := 0
	for _, n := range w.sortedNodes() {
		if ok, _ := selects(sel, n, w); !ok {
			continue
		}
		matched++
		if field == "" {
			return true, nil
		}
		got, err := nodeField(field, n, w)
		if err != nil {
			return false, fmt.Errorf("node %s: %w", n.Name, err)
		}
		if _, err := compare("node "+n.Name+" "+field, got, op, want); err != nil {
			return false, err
		}
		if !all {
			return true, nil
		}
	}
	if matched == 0 && !all {
		return false, fmt.Errorf("no node matches [%s]", sel)
	}
	return true, nil
}

func nodeField(field string, n node, w *workflow) (string, error) {
	paramAt := func(ps []param, idx string) (string, error) {
		i, err := strconv.Atoi(idx)
		if err != nil {
			return "", fmt.Errorf("syntax: %q is not an index", idx)
		}
		if i >= len(ps) {
			return "", fmt.Errorf("has %d parameters, no index %d", len(ps), i)
		}
		if ps[i].Value == nil {
			return "<nil>", nil
		}
		return *ps[i].Value, nil
	}
	switch {
	case field == "":
		return "", nil
	case field == "phase":
		return n.Phase, nil
	case field == "type":
		return n.Type, nil
	case field == "message":
		return n.Message, nil
	case field == "children":
		return strconv.Itoa(len(n.Children)), nil
	case field == "outbound":
		return strconv.Itoa(len(n.OutboundNodes)), nil
	case field == "inputs":
		if n.Inputs == nil {
			return "0", nil
		}
		return strconv.Itoa(len(n.Inputs.Parameters)), nil
	case strings.HasPrefix(field, "in."):
		if n.Inputs == nil {
			return paramAt(nil, field[3:])
		}
		return paramAt(n.Inputs.Parameters, field[3:])
	case strings.HasPrefix(field, "out."):
		if n.Outputs == nil {
			return paramAt(nil, field[4:])
		}
		return paramAt(n.Outputs.Parameters, field[4:])
	case field == "result":
		if n.Outputs == nil || n.Outputs.Result == nil {
			return "<nil>", nil
		}
		return *n.Outputs.Result, nil
	case field == "hooked":
		return strconv.FormatBool(n.NodeFlag != nil && n.NodeFlag.Hooked), nil
	case field == "retried":
		return strconv.FormatBool(n.NodeFlag != nil && n.NodeFlag.Retried), nil
	case field == "nodeflag":
		if n.NodeFlag == nil {
			return "nil", nil
		}
		return "set", nil
	case field == "inretry":
		for _, p := range w.Status.Nodes {
			if p.Type != "Retry" {
				continue
			}
			for _, id := range p.Children {
				if id == n.ID {
					return "true", nil
				}
			}
		}
		return "false", nil
	}
	return "", fmt.Errorf("syntax: unknown field %q", field)
}
