package reconcile

import (
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// referenced lists the names that a steps or DAG template refers to under
// prefix ("steps." or "tasks."), so only their outputs are put in scope:
// exposing every finished sibling on every walk would cost O(siblings)
// map writes per walk, and O(n²) per run. all is set when a name cannot be
// told (an expression indexing `tasks[...]`).
func referenced(t *wfv1.Template, prefix string) (names map[string]bool, all bool) {
	names = map[string]bool{}
	bracket := strings.TrimSuffix(prefix, ".") + "["
	scan := func(s string) {
		if !strings.Contains(s, prefix) && !strings.Contains(s, bracket) {
			return
		}
		if strings.Contains(s, bracket) {
			all = true
		}
		for {
			i := strings.Index(s, prefix)
			if i < 0 {
				return
			}
			s = s[i+len(prefix):]
			j := 0
			for j < len(s) && isNameChar(s[j]) {
				j++
			}
			names[s[:j]] = true
			s = s[j:]
		}
	}
	call := func(args wfv1.Arguments, when, withParam string, seq *wfv1.Sequence, hooks map[string]wfv1.LifecycleHook) {
		for _, p := range args.Parameters {
			if p.Value != nil {
				scan(string(*p.Value))
			}
		}
		for _, a := range args.Artifacts {
			scan(a.From)
			scan(a.FromExpression)
			scan(a.SubPath)
			if a.Raw != nil {
				scan(a.Raw.Data)
			}
		}
		scan(when)
		scan(withParam)
		if seq != nil {
			for _, v := range []*wfv1.IntOrString{seq.Count, seq.Start, seq.End} {
				if v != nil {
					scan(v.String())
				}
			}
		}
		for _, h := range hooks {
			scan(h.Expression)
			for _, p := range h.Arguments.Parameters {
				if p.Value != nil {
					scan(string(*p.Value))
				}
			}
		}
	}
	for _, g := range t.Steps {
		for _, s := range g {
			call(s.Arguments, s.When, s.WithParam, s.WithSequence, s.Hooks)
		}
	}
	if t.DAG != nil {
		scan(t.DAG.Target)
		for _, task := range t.DAG.Tasks {
			call(task.Arguments, task.When, task.WithParam, task.WithSequence, task.Hooks)
		}
	}
	for _, a := range t.Outputs.Artifacts {
		scan(a.From)
		scan(a.FromExpression)
	}
	for _, p := range t.Outputs.Parameters {
		if p.Value != nil {
			scan(string(*p.Value))
		}
		if p.ValueFrom != nil {
			scan(p.ValueFrom.Parameter)
			scan(p.ValueFrom.Expression)
		}
	}
	return names, all
}

func isNameChar(c byte) bool {
	return c == '-' || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}
