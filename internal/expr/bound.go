package expr

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/vm/runtime"
)

// An expression is user code run inside the engine: without a bound,
// `sprig.repeat(1000000000, "a")` or `reduce(1..40, #acc + #acc, "a")`
// takes the server's memory. Every call an expression makes (sprig, the
// builtins that build strings, `+`) goes through a guard that refuses
// what would grow past these limits before allocating it.
const (
	// MaxValueBytes bounds any one value an expression builds or passes
	// to a function, an expression's result, and a substituted string.
	MaxValueBytes = 4 << 20
	// MaxEvalBytes bounds the bytes all calls of one evaluation produce
	// together, so a loop of calls each under MaxValueBytes still stops.
	MaxEvalBytes = 32 << 20
	// vmMemoryBudget is expr-lang's own budget, in elements of ranges,
	// arrays and maps the VM builds.
	vmMemoryBudget = 1_000_000
	// sizeDepth stops measuring values nested deeper than any JSON
	// parameter plausibly is.
	sizeDepth = 100
	// MaxEvalTime bounds one evaluation's time, checked at every call it
	// makes and every turn of its loops: the memory bounds leave room for
	// a loop of calls each
	// hashing megabytes, which would hold a core of the server (and the
	// workflow's round, so its delete and deadline) for hours. Ordinary
	// expressions take microseconds.
	MaxEvalTime = time.Second
)

// LimitError says which limit an expression ran into.
type LimitError struct {
	What  string // the call or value measured
	Size  float64
	Limit int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s would be %.0f bytes, over the expression memory limit of %d bytes", e.What, e.Size, e.Limit)
}

// budget is one evaluation's account of the bytes its calls produced,
// and of its time.
type budget struct {
	used     int
	deadline time.Time
}

func newBudget() *budget { return &budget{deadline: time.Now().Add(MaxEvalTime)} }

// TimeLimitError says an evaluation ran past MaxEvalTime.
type TimeLimitError struct{ At string }

func (e *TimeLimitError) Error() string {
	return fmt.Sprintf("evaluation ran past the expression time limit of %v (at %s)", MaxEvalTime, e.At)
}

// clock panics (the VM turns the panic into the evaluation's error) once
// the evaluation is past its deadline.
func (b *budget) clock(at string) {
	if !b.deadline.IsZero() && time.Now().After(b.deadline) {
		panic(&TimeLimitError{At: at})
	}
}

// charge panics (the VM turns the panic into the evaluation's error)
// when a value is too big alone or together with what came before.
func (b *budget) charge(what string, size float64) {
	if size > MaxValueBytes {
		panic(&LimitError{What: what, Size: size, Limit: MaxValueBytes})
	}
	b.used += int(size)
	if b.used > MaxEvalBytes {
		panic(&LimitError{What: what + " (with the values built before it)", Size: float64(b.used), Limit: MaxEvalBytes})
	}
}

// call runs fn on args with the guard: the arguments together are at
// most one value's worth, the estimated result is checked before the
// call and the actual one after.
func (b *budget) call(name string, args []any, fn func() any) any {
	b.clock(name)
	if quadratic[name] && len(args) > 0 {
		if v := reflect.ValueOf(args[0]); (v.Kind() == reflect.Slice || v.Kind() == reflect.Array) && v.Len() > maxQuadraticList {
			panic(fmt.Errorf("the list given to %s has %d elements, over the %d an expression may give it (its time grows with the square of the list)",
				name, v.Len(), maxQuadraticList))
		}
	}
	in := 0.0
	for _, a := range args {
		in += float64(sizeOf(a, MaxValueBytes+1))
	}
	if in > MaxValueBytes {
		panic(&LimitError{What: "the arguments of " + name, Size: in, Limit: MaxValueBytes})
	}
	if est := estimate(name, args); est > 0 {
		b.charge(name+"'s result", est)
	}
	out := fn()
	b.charge(name+"'s result", float64(sizeOf(out, MaxValueBytes+1)))
	return out
}

// add replaces the `+` operator: only string concatenation grows.
func (b *budget) add(x, y any) any {
	b.clock("+")
	xs, ok1 := x.(string)
	ys, ok2 := y.(string)
	if ok1 && ok2 {
		b.charge("a string concatenation", float64(len(xs)+len(ys)))
		return xs + ys
	}
	return runtime.Add(x, y)
}

// wrap gives fn, a function of any signature, the guard, keeping its type
// so the VM converts arguments exactly as it did for fn.
func (b *budget) wrap(name string, fn any) any {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func {
		return fn
	}
	t := v.Type()
	return reflect.MakeFunc(t, func(in []reflect.Value) []reflect.Value {
		args := make([]any, 0, len(in))
		for i, a := range in {
			if t.IsVariadic() && i == len(in)-1 {
				for j := range a.Len() {
					args = append(args, a.Index(j).Interface())
				}
				continue
			}
			args = append(args, a.Interface())
		}
		var out []reflect.Value
		b.call(name, args, func() any {
			if t.IsVariadic() {
				out = v.CallSlice(in)
			} else {
				out = v.Call(in)
			}
			if len(out) == 0 {
				return nil
			}
			return out[0].Interface()
		})
		return out
	}).Interface()
}

// guardedBuiltins are expr-lang builtins that can build a value bigger
// than their arguments; they are disabled in the parser and offered as
// guarded functions of the same name instead.
var guardedBuiltins = []string{"repeat", "replace", "join", "toJSON", "string", "toBase64", "split", "splitAfter"}

func (b *budget) builtin(name string) any {
	f := builtin.Builtins[builtin.Index[name]]
	return func(args ...any) (any, error) {
		var err error
		out := b.call(name, args, func() any {
			var v any
			switch {
			case f.Func != nil:
				v, err = f.Func(args...)
			case f.Safe != nil:
				v, _, err = f.Safe(args...)
			case f.Fast != nil && len(args) == 1:
				v = f.Fast(args[0])
			default:
				err = fmt.Errorf("%s: expected 1 argument, got %d", name, len(args))
			}
			return v
		})
		return out, err
	}
}

// estimate predicts the size of what a call whose result can be much
// bigger than its arguments will build; 0 when the result is bounded by
// the arguments.
func estimate(name string, args []any) float64 {
	str := func(i int) string {
		if i < len(args) {
			s, _ := args[i].(string)
			return s
		}
		return ""
	}
	num := func(i int) float64 {
		if i >= len(args) {
			return 0
		}
		return math.Abs(runtime.ToFloat64(args[i]))
	}
	switch name {
	case "sprig.repeat":
		return num(0) * float64(len(str(1)))
	case "repeat":
		return num(1) * float64(len(str(0)))
	case "sprig.until":
		return num(0) * 16
	case "sprig.untilStep":
		if step := num(2); step > 0 {
			return math.Abs(runtime.ToFloat64(args[1])-runtime.ToFloat64(args[0])) / step * 16
		}
	case "sprig.seq":
		return seqEstimate(args)
	case "sprig.indent", "sprig.nindent":
		return num(0)*float64(strings.Count(str(1), "\n")+2) + float64(len(str(1)))
	case "sprig.randAlpha", "sprig.randAlphaNum", "sprig.randNumeric", "sprig.randAscii":
		return num(0)
	case "sprig.randBytes":
		return num(0) * 2
	case "sprig.replace":
		return replaceEstimate(str(2), str(0), str(1))
	case "replace":
		return replaceEstimate(str(0), str(1), str(2))
	case "sprig.regexReplaceAll", "sprig.mustRegexReplaceAll", "sprig.regexReplaceAllLiteral", "sprig.mustRegexReplaceAllLiteral":
		s, repl := float64(len(str(1))), str(2)
		return s + (s+1)*float64(len(repl)) + float64(strings.Count(repl, "$"))*s
	case "sprig.wrapWith":
		if l := num(0); l > 0 {
			return float64(len(str(2))) * (1 + float64(len(str(1)))/l)
		}
	case "join", "sprig.join":
		list, sep := args[0], str(1)
		if name == "sprig.join" && len(args) == 2 {
			list, sep = args[1], str(0)
		}
		return float64(sizeOf(list, MaxValueBytes+1)) + float64(lenOf(list))*float64(len(sep))
	case "split", "splitAfter", "sprig.splitList", "sprig.split":
		return float64(len(str(0))+len(str(1))) * 17
	}
	return 0
}

func seqEstimate(args []any) float64 {
	n := make([]float64, len(args))
	for i, a := range args {
		n[i] = runtime.ToFloat64(a)
	}
	count := 0.0
	switch len(n) {
	case 1:
		count = math.Abs(n[0])
	case 2:
		count = math.Abs(n[1] - n[0])
	case 3:
		if n[1] != 0 {
			count = math.Abs((n[2] - n[0]) / n[1])
		}
	}
	return count * 12
}

func replaceEstimate(s, old, repl string) float64 {
	n := len(s) + 1
	if old != "" {
		n = strings.Count(s, old)
	}
	return float64(len(s)) + float64(n)*float64(len(repl))
}

func lenOf(v any) int {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map, reflect.String:
		return rv.Len()
	}
	return 0
}

// sizeOf measures what a value would take as text, stopping once past
// limit: an array of a million references to one string is small in
// memory but huge once joined or printed.
func sizeOf(v any, limit int) int {
	n := 0
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if n > limit || depth > sizeDepth {
			return
		}
		switch x := v.(type) {
		case nil:
		case string:
			n += len(x)
		case []byte:
			n += len(x)
		case []any:
			n += 8 * len(x)
			for _, e := range x {
				if walk(e, depth+1); n > limit {
					return
				}
			}
		case map[string]any:
			for k, e := range x {
				n += 8 + len(k)
				if walk(e, depth+1); n > limit {
					return
				}
			}
		default:
			rv := reflect.ValueOf(v)
			switch rv.Kind() {
			case reflect.String:
				n += rv.Len()
			case reflect.Slice, reflect.Array:
				n += 8 * rv.Len()
				for i := range rv.Len() {
					if walk(rv.Index(i).Interface(), depth+1); n > limit {
						return
					}
				}
			case reflect.Map:
				it := rv.MapRange()
				for it.Next() {
					if walk(it.Key().Interface(), depth+1); n > limit {
						return
					}
					walk(it.Value().Interface(), depth+1)
				}
			default:
				n += 8
			}
		}
	}
	walk(v, 0)
	return n
}

// guardAST routes `+` through the budget; the rest of the guard sits in
// the functions the environment offers.
type guardAST struct{}

func (guardAST) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.BinaryNode:
		if n.Operator == "+" {
			ast.Patch(node, &ast.CallNode{
				Callee:    &ast.IdentifierNode{Value: addName},
				Arguments: []ast.Node{n.Left, n.Right},
			})
		}
	case *ast.PredicateNode:
		// Every turn of a loop (all, map, filter, reduce...) looks at the
		// clock: nested loops over one range make no calls of their own
		// and build nothing the memory bound counts.
		n.Node = &ast.CallNode{Callee: &ast.IdentifierNode{Value: tickName}, Arguments: []ast.Node{n.Node}}
	}
}

const (
	addName  = "$add"
	tickName = "$tick"
)

// tick is a loop turn's look at the clock; it passes its value on.
func (b *budget) tick(args ...any) (any, error) {
	b.clock("a loop")
	if len(args) != 1 {
		return nil, fmt.Errorf("%s: expected 1 argument, got %d", tickName, len(args))
	}
	return args[0], nil
}

// quadratic are sprig functions whose time grows with the square of
// their list: over maxQuadraticList elements one call alone would hold
// the server for minutes (uniq of 60,000 took 44 s), and the clock is only
// read between calls.
var quadratic = map[string]bool{"sprig.uniq": true, "sprig.mustUniq": true, "sprig.without": true, "sprig.mustWithout": true}

const maxQuadraticList = 10_000

// sprigUsed lists the sprig functions the expression names; all of them
// when it uses `sprig` other than as `sprig.name`.
type sprigUsed struct {
	names   map[string]bool
	dynamic bool
	members int
	idents  int
}

func (s *sprigUsed) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if n.Value == "sprig" {
			s.idents++
		}
	case *ast.MemberNode:
		if id, ok := n.Node.(*ast.IdentifierNode); ok && id.Value == "sprig" {
			s.members++
			if p, ok := n.Property.(*ast.StringNode); ok {
				s.names[p.Value] = true
			} else {
				s.dynamic = true
			}
		}
	}
}
