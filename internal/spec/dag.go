package spec

import (
	"fmt"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

func (c *wfCtx) checkDAG(sc *scope, dag *wfv1.DAGTemplate, path string, wfLocks []LockRef, depth int) {
	d := c.doc
	if len(dag.Tasks) == 0 {
		d.errorAt(path+".tasks", "a DAG needs at least one task")
	}
	index := map[string]int{}
	for i := range dag.Tasks {
		t := &dag.Tasks[i]
		tp := fmt.Sprintf("%s.tasks[%d]", path, i)
		switch {
		case t.Name == "":
			d.errorAt(tp, "task needs a name")
		case ValidFieldName(t.Name) != nil:
			d.errorAt(tp+".name", "task %v", ValidFieldName(t.Name))
		default:
			if _, dup := index[t.Name]; dup {
				d.errorAt(tp+".name", "task name %q is used twice in this DAG", t.Name)
			} else {
				index[t.Name] = i
			}
		}
	}
	names := make([]string, 0, len(index))
	for n := range index {
		names = append(names, n)
	}
	deps := make([][]string, len(dag.Tasks))
	for i := range dag.Tasks {
		t := &dag.Tasks[i]
		tp := fmt.Sprintf("%s.tasks[%d]", path, i)
		c.checkCall(t.Template, t.TemplateRef, t.Inline, tp, wfLocks, depth)
		c.checkLoops(len(t.WithItems) > 0, t.WithParam != "", t.WithSequence, tp)
		c.checkEmptyItems(t.WithItems, tp)
		c.checkLoopSize(sc.tmpl.Name, t.WithItems, t.WithSequence, tp)
		if t.OnExit != "" {
			c.checkTemplateName(t.OnExit, tp+".onExit")
		}
		for name, h := range t.Hooks {
			c.checkHook(h, fmt.Sprintf("%s.hooks.%s", tp, name))
		}
		deps[i] = c.taskDeps(t, tp, index, names)
		sc.scanCall(t, tp, hasLoop(t.WithItems, t.WithParam, t.WithSequence))
	}
	if dag.Target != "" && !isTemplated(dag.Target) {
		for _, name := range strings.Fields(dag.Target) {
			if _, ok := index[name]; !ok {
				c.unknownTask(path+".target", name, names)
			}
		}
	}
	if cycle := findCycle(dag.Tasks, deps, index); cycle != nil {
		i := index[cycle[0]]
		d.errorAt(fmt.Sprintf("%s.tasks[%d]", path, i), "dependency cycle: %s", strings.Join(cycle, " -> "))
	}
}

func (c *wfCtx) unknownTask(path, name string, names []string) {
	msg := fmt.Sprintf("unknown task %q", name)
	if s := suggest(name, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	c.doc.errorAt(path, "%s", msg)
}

// taskDeps returns the names a task depends on, reporting unknown ones.
func (c *wfCtx) taskDeps(t *wfv1.DAGTask, path string, index map[string]int, names []string) []string {
	if len(t.Dependencies) > 0 && t.Depends != "" {
		c.doc.errorAt(path, "use either dependencies or depends, not both")
	}
	var out []string
	for j, dep := range t.Dependencies {
		if _, ok := index[dep]; !ok {
			c.unknownTask(fmt.Sprintf("%s.dependencies[%d]", path, j), dep, names)
			continue
		}
		out = append(out, dep)
	}
	if t.Depends == "" || isTemplated(t.Depends) {
		return out
	}
	e, err := ParseDepends(t.Depends)
	if err != nil {
		c.doc.errorAt(path+".depends", "invalid depends %q: %v", t.Depends, err)
		return out
	}
	for _, dep := range e.Tasks() {
		if _, ok := index[dep]; !ok {
			c.unknownTask(path+".depends", dep, names)
			continue
		}
		out = append(out, dep)
	}
	return out
}

// findCycle returns the task names of one dependency cycle, first name
// repeated at the end, or nil. Tasks are visited in file order so the
// reported cycle is stable.
func findCycle(tasks []wfv1.DAGTask, deps [][]string, index map[string]int) []string {
	const (
		unseen = iota
		active
		done
	)
	state := make([]int, len(tasks))
	var stack []string
	var visit func(i int) []string
	visit = func(i int) []string {
		state[i] = active
		stack = append(stack, tasks[i].Name)
		for _, dep := range deps[i] {
			j := index[dep]
			switch state[j] {
			case active:
				start := 0
				for k, n := range stack {
					if n == dep {
						start = k
					}
				}
				return append(append([]string{}, stack[start:]...), dep)
			case unseen:
				if cyc := visit(j); cyc != nil {
					return cyc
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = done
		return nil
	}
	for i := range tasks {
		if state[i] == unseen {
			if _, ok := index[tasks[i].Name]; !ok {
				continue
			}
			if cyc := visit(i); cyc != nil {
				return cyc
			}
		}
	}
	return nil
}
