package expr

import (
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/Masterminds/sprig/v3"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// sprigFuncs is built once: the map is large and never changes.
var sprigFuncs = sprig.GenericFuncMap()

// Check parses and compiles an expression without running it, for lint.
func Check(code string) error {
	tree, err := parser.ParseWithConfig(code, parseConfig())
	if err == nil {
		err = withheldIn(sprigNames(&tree.Node))
	}
	if err == nil {
		_, err = compiler.Compile(tree, nil)
	}
	if err != nil {
		return fmt.Errorf("expression %q: %w", strings.TrimSpace(code), err)
	}
	return nil
}

// parseConfig disables the builtins the guard offers in their place.
func parseConfig() *conf.Config {
	cfg := conf.CreateNew()
	for _, b := range guardedBuiltins {
		cfg.Disabled[b] = true
	}
	return cfg
}

// run evaluates code with every call guarded by a fresh budget (see
// bound.go) and the result checked against MaxValueBytes. Errors name the
// expression.
func run(code string, scope Scope) (any, error) {
	return runEnv(code, envOf(scope))
}

// runEnv is run over an environment of typed values; the guarded
// functions are added to env.
func runEnv(code string, env map[string]any) (any, error) {
	name := strings.TrimSpace(code)
	tree, err := parser.ParseWithConfig(code, parseConfig())
	if err != nil {
		return nil, fmt.Errorf("expression %q: %w", name, err)
	}
	used := sprigNames(&tree.Node)
	if err := withheldIn(used); err != nil {
		return nil, fmt.Errorf("expression %q: %w", name, err)
	}
	ast.Walk(&tree.Node, guardAST{})
	program, err := compiler.Compile(tree, nil)
	if err != nil {
		return nil, fmt.Errorf("expression %q: %w", name, err)
	}
	b := newBudget()
	maps.Copy(env, b.functions(used))
	machine := vm.VM{MemoryBudget: vmMemoryBudget}
	out, err := machine.Run(program, env)
	if err != nil {
		var le *LimitError
		if errors.As(err, &le) {
			return nil, fmt.Errorf("expression %q: %w", name, le)
		}
		var te *TimeLimitError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("expression %q: %w", name, te)
		}
		if strings.Contains(err.Error(), "memory budget exceeded") {
			return nil, fmt.Errorf("expression %q builds more than %d elements, over the expression memory limit: %w", name, vmMemoryBudget, err)
		}
		return nil, fmt.Errorf("expression %q: %w", name, err)
	}
	if n := sizeOf(out, MaxValueBytes+1); n > MaxValueBytes {
		return nil, fmt.Errorf("expression %q: %w", name, &LimitError{What: "the result", Size: float64(n), Limit: MaxValueBytes})
	}
	return out, nil
}

// functions is the guarded environment of one evaluation: the sprig
// functions the expression uses, the growing builtins, `+`, and ours.
func (b *budget) functions(used *sprigUsed) map[string]any {
	sp := map[string]any{}
	all := used.dynamic || used.idents > used.members
	for n, fn := range sprigFuncs {
		if all || used.names[n] {
			sp[n] = b.wrap("sprig."+n, fn)
		}
	}
	env := map[string]any{"sprig": sp, addName: b.add, tickName: b.tick}
	for _, n := range guardedBuiltins {
		env[n] = b.builtin(n)
	}
	for n, fn := range ownFunctions() {
		env[n] = b.wrap(n, fn)
	}
	return env
}
