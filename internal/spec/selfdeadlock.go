package spec

import (
	"fmt"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// A steps or DAG template holds its mutexes until all it calls has run,
// so a template running inside it that asks for one of them waits for
// ever. templateDefaults gives its synchronization to every template
// that sets none of its own, steps and DAG templates included, which
// makes such a wait easy to write without seeing it.

// heldLock is one mutex a template asks for, and where it is asked for:
// the template's own block or templateDefaults.
type heldLock struct {
	key, path string
}

// mergeSync is the synchronization Argo's templateDefaults merge gives a
// template: its own fields replace the defaults' field by field.
func mergeSync(defaults, own *wfv1.Synchronization) *wfv1.Synchronization {
	if defaults == nil {
		return own
	}
	out := *defaults
	if own == nil {
		return &out
	}
	if own.Semaphore != nil {
		out.Semaphore = own.Semaphore
	}
	if own.Mutex != nil {
		out.Mutex = own.Mutex
	}
	if len(own.Semaphores) > 0 {
		out.Semaphores = own.Semaphores
	}
	if len(own.Mutexes) > 0 {
		out.Mutexes = own.Mutexes
	}
	return &out
}

// mutexesOf lists the literal mutexes t runs under, with the path of each.
func (c *wfCtx) mutexesOf(t *wfv1.Template, path string) []heldLock {
	var defaults *wfv1.Synchronization
	if c.spec.TemplateDefaults != nil {
		defaults = c.spec.TemplateDefaults.Synchronization
	}
	s := mergeSync(defaults, t.Synchronization)
	var out []heldLock
	for _, l := range LockKeys(s, c.ns) {
		if !l.IsMutex || isTemplated(l.Key) {
			continue
		}
		p := path + ".synchronization." + l.Field
		if !ownsField(t.Synchronization, l.Field) {
			p = c.path + ".templateDefaults.synchronization." + l.Field
		}
		out = append(out, heldLock{key: l.Key, path: p})
	}
	return out
}

func ownsField(own *wfv1.Synchronization, field string) bool {
	if own == nil {
		return false
	}
	if strings.HasPrefix(field, "mutexes[") {
		return len(own.Mutexes) > 0
	}
	return own.Mutex != nil
}

// checkDefaultsDeadlock reports a workflow-level lock that
// templateDefaults gives every template too.
func (c *wfCtx) checkDefaultsDeadlock(wfLocks []LockRef) {
	td := c.spec.TemplateDefaults
	if td == nil || td.Synchronization == nil || len(wfLocks) == 0 {
		return
	}
	for _, l := range LockKeys(td.Synchronization, c.ns) {
		c.checkSelfDeadlock(l, c.path+".templateDefaults.synchronization."+l.Field, wfLocks)
	}
}

// checkNestedDeadlocks reports, for each steps or DAG template, a mutex
// it holds that a template it calls, at any depth, asks for again.
func (c *wfCtx) checkNestedDeadlocks() {
	reported := map[string]bool{}
	for i := range c.spec.Templates {
		t := &c.spec.Templates[i]
		if len(t.Steps) == 0 && t.DAG == nil {
			continue
		}
		held := c.mutexesOf(t, fmt.Sprintf("%s.templates[%d]", c.path, i))
		if len(held) == 0 {
			continue
		}
		c.walkCalls(t, fmt.Sprintf("%s.templates[%d]", c.path, i), held, reported)
	}
}

// walkCalls visits what t calls (named and inline templates, once each)
// and reports the first mutex of held that a callee asks for again.
func (c *wfCtx) walkCalls(outer *wfv1.Template, outerPath string, held []heldLock, reported map[string]bool) {
	type callee struct {
		t    *wfv1.Template
		path string
	}
	stack := []callee{{outer, outerPath}}
	seen := map[string]bool{}
	index := map[string]int{}
	for i := range c.spec.Templates {
		index[c.spec.Templates[i].Name] = i
	}
	// Each named template is pushed once; inline ones are bounded by
	// their nesting, which lint caps.
	for steps := 0; len(stack) > 0 && steps < 100000; steps++ {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		var calls []callee
		add := func(name string, inline *wfv1.Template, path string) {
			switch {
			case inline != nil:
				calls = append(calls, callee{inline, path + ".inline"})
			case name != "" && !seen[name]:
				if i, ok := index[name]; ok {
					seen[name] = true
					calls = append(calls, callee{&c.spec.Templates[i], fmt.Sprintf("%s.templates[%d]", c.path, i)})
				}
			}
		}
		for gi, group := range cur.t.Steps {
			for si, st := range group {
				add(st.Template, st.Inline, fmt.Sprintf("%s.steps[%d][%d]", cur.path, gi, si))
			}
		}
		if cur.t.DAG != nil {
			for ti, task := range cur.t.DAG.Tasks {
				add(task.Template, task.Inline, fmt.Sprintf("%s.dag.tasks[%d]", cur.path, ti))
			}
		}
		for _, k := range calls {
			for _, m := range c.mutexesOf(k.t, k.path) {
				for _, h := range held {
					if h.key != m.key || reported[m.path+"|"+m.key] {
						continue
					}
					reported[m.path+"|"+m.key] = true
					c.doc.errorAt(m.path, "self-deadlock: template %q holds mutex %s while everything it calls runs, "+
						"and template %q, which runs inside it, asks for it too: it waits forever", outer.Name, h.key, k.t.Name)
				}
			}
			stack = append(stack, k)
		}
	}
}
