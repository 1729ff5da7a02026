package spec

import (
	"fmt"
	"strings"
)

// DependsResults are the task results a `depends` expression may test.
var DependsResults = []string{"Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned",
	"AnySucceeded", "AllFailed"}

// DependsExpr is a parsed `depends` expression.
type DependsExpr struct {
	Op       string // "task", "!", "&&", "||"
	Task     string // for Op "task"
	Result   string // for Op "task": "" means the default (Succeeded, Skipped or Daemoned)
	Operands []*DependsExpr
}

// Tasks returns the task names the expression refers to, in order of first use.
func (e *DependsExpr) Tasks() []string {
	var out []string
	seen := map[string]bool{}
	var walk func(*DependsExpr)
	walk = func(e *DependsExpr) {
		if e.Op == "task" && !seen[e.Task] {
			seen[e.Task] = true
			out = append(out, e.Task)
		}
		for _, o := range e.Operands {
			walk(o)
		}
	}
	walk(e)
	return out
}

// DependsError is a syntax error in a depends expression; Offset counts
// bytes from the start of the expression.
type DependsError struct {
	Offset int
	Msg    string
}

func (e *DependsError) Error() string { return fmt.Sprintf("at offset %d: %s", e.Offset, e.Msg) }

// ParseDepends parses Argo's `depends` syntax: task names, optionally with
// a result (`a.Succeeded`), combined with `&&`, `||`, `!` and parentheses.
func ParseDepends(s string) (*DependsExpr, error) {
	p := &dependsParser{src: s}
	e, err := p.or(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(s) {
		return nil, p.fail("unexpected %q", s[p.pos:min(len(s), p.pos+10)])
	}
	return e, nil
}

type dependsParser struct {
	src string
	pos int
}

const maxDependsNesting = 100

func (p *dependsParser) fail(format string, args ...any) error {
	return &DependsError{Offset: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *dependsParser) skipSpace() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t' || p.src[p.pos] == '\n') {
		p.pos++
	}
}

func (p *dependsParser) eat(tok string) bool {
	p.skipSpace()
	if strings.HasPrefix(p.src[p.pos:], tok) {
		p.pos += len(tok)
		return true
	}
	return false
}

func (p *dependsParser) or(depth int) (*DependsExpr, error) {
	return p.binary(depth, "||", p.and)
}

func (p *dependsParser) and(depth int) (*DependsExpr, error) {
	return p.binary(depth, "&&", p.unary)
}

func (p *dependsParser) binary(depth int, op string, next func(int) (*DependsExpr, error)) (*DependsExpr, error) {
	left, err := next(depth)
	if err != nil {
		return nil, err
	}
	for p.eat(op) {
		right, err := next(depth)
		if err != nil {
			return nil, err
		}
		if left.Op == op {
			left.Operands = append(left.Operands, right)
		} else {
			left = &DependsExpr{Op: op, Operands: []*DependsExpr{left, right}}
		}
	}
	return left, nil
}

func (p *dependsParser) unary(depth int) (*DependsExpr, error) {
	if depth > maxDependsNesting {
		return nil, p.fail("expression is nested too deeply")
	}
	if p.eat("!") {
		e, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &DependsExpr{Op: "!", Operands: []*DependsExpr{e}}, nil
	}
	if p.eat("(") {
		e, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if !p.eat(")") {
			return nil, p.fail("missing )")
		}
		return e, nil
	}
	return p.operand()
}

func isTaskChar(c byte) bool {
	return c == '-' || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func (p *dependsParser) operand() (*DependsExpr, error) {
	p.skipSpace()
	start := p.pos
	for p.pos < len(p.src) && isTaskChar(p.src[p.pos]) {
		p.pos++
	}
	if p.pos == start {
		if p.pos >= len(p.src) {
			return nil, p.fail("expected a task name, got the end of the expression")
		}
		return nil, p.fail("expected a task name, got %q", p.src[p.pos:p.pos+1])
	}
	e := &DependsExpr{Op: "task", Task: p.src[start:p.pos]}
	if p.pos < len(p.src) && p.src[p.pos] == '.' {
		p.pos++
		rs := p.pos
		for p.pos < len(p.src) && isTaskChar(p.src[p.pos]) {
			p.pos++
		}
		e.Result = p.src[rs:p.pos]
		if !containsString(DependsResults, e.Result) {
			p.pos = rs
			msg := fmt.Sprintf("unknown result %q for task %q: expected one of %s", e.Result, e.Task, strings.Join(DependsResults, ", "))
			if s := suggest(e.Result, DependsResults); s != "" {
				msg = fmt.Sprintf("unknown result %q for task %q (did you mean %q?)", e.Result, e.Task, s)
			}
			return nil, p.fail("%s", msg)
		}
	}
	return e, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
