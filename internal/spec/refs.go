package spec

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// scope is what the `{{...}}` references inside one template may name.
type scope struct {
	c         *wfCtx
	tmpl      *wfv1.Template
	inputs    map[string]bool
	artifacts map[string]bool
	outArts   map[string]bool
	children  map[string]bool // step or task names of this template
	childKind string          // "steps" or "tasks"
}

func newScope(c *wfCtx, t *wfv1.Template) *scope {
	sc := &scope{c: c, tmpl: t, inputs: map[string]bool{}, artifacts: map[string]bool{}, outArts: map[string]bool{}, children: map[string]bool{}}
	for _, p := range t.Inputs.Parameters {
		sc.inputs[p.Name] = true
	}
	for _, a := range t.Inputs.Artifacts {
		sc.artifacts[a.Name] = true
	}
	for _, a := range t.Outputs.Artifacts {
		sc.outArts[a.Name] = true
	}
	switch {
	case t.DAG != nil:
		sc.childKind = "tasks"
		for _, task := range t.DAG.Tasks {
			sc.children[task.Name] = true
		}
	case t.Steps != nil:
		sc.childKind = "steps"
		for _, g := range t.Steps {
			for _, s := range g {
				sc.children[s.Name] = true
			}
		}
	}
	return sc
}

// scanTemplateBody checks the references in a template's own fields; steps
// and tasks are scanned one by one by scanCall, lock names by checkSync.
func (sc *scope) scanTemplateBody(t *wfv1.Template, path string) {
	walkStrings(reflect.ValueOf(t), path, map[string]bool{"steps": true, "dag": true, "synchronization": true}, func(p, s string) {
		sc.checkRefs(p, s, false)
	})
}

// scanCall checks the references in one step or DAG task (not in its inline
// template, which is a scope of its own).
func (sc *scope) scanCall(call any, path string, loop bool) {
	walkStrings(reflect.ValueOf(call), path, map[string]bool{"inline": true}, func(p, s string) {
		sc.checkRefs(p, s, loop)
	})
}

var (
	tagPattern      = regexp.MustCompile(`(?s)\{\{(.*?)\}\}`)
	exprInputQuoted = regexp.MustCompile(`inputs\.parameters\[\s*['"]([^'"]+)['"]\s*\]`)
	exprInputDotted = regexp.MustCompile(`inputs\.parameters\.([A-Za-z_][A-Za-z0-9_]*)`)
)

func (sc *scope) checkRefs(path, s string, loop bool) {
	if !strings.Contains(s, "{{") {
		return
	}
	for _, m := range tagPattern.FindAllStringSubmatch(s, -1) {
		tag := strings.TrimSpace(m[1])
		if strings.HasPrefix(tag, "=") {
			sc.checkExprRefs(path, tag[1:])
			continue
		}
		sc.checkTag(path, tag, loop)
	}
}

func (sc *scope) checkExprRefs(path, expr string) {
	for _, re := range []*regexp.Regexp{exprInputQuoted, exprInputDotted} {
		for _, m := range re.FindAllStringSubmatch(expr, -1) {
			sc.checkInput(path, m[1], "{{="+expr+"}}")
		}
	}
}

func (sc *scope) checkTag(path, tag string, loop bool) {
	parts := strings.Split(tag, ".")
	switch {
	case tag == "item" || strings.HasPrefix(tag, "item.") || strings.HasPrefix(tag, "item["):
		if !loop {
			sc.c.doc.errorAt(path, "{{%s}} is used outside a loop: the step or task needs withItems, withParam or withSequence", tag)
		}
	case tag == "inputs.parameters":
		// Argo (and run) define the whole list only when there is one.
		if len(sc.inputs) == 0 {
			sc.c.doc.errorAt(path, "{{%s}} is the JSON list of the input parameters, and template %q declares no input parameter: declare one in inputs.parameters or drop the reference",
				tag, sc.tmpl.Name)
		}
	case len(parts) >= 3 && parts[0] == "inputs" && parts[1] == "parameters":
		sc.checkInput(path, strings.Join(parts[2:], "."), "{{"+tag+"}}")
	case len(parts) >= 3 && parts[0] == "inputs" && parts[1] == "artifacts":
		if name, ok := artifactRef(parts[2:], sc.artifacts); !ok {
			sc.c.doc.errorAt(path, "{{%s}} refers to input artifact %q, which template %q does not declare", tag, name, sc.tmpl.Name)
		}
	case len(parts) >= 4 && parts[0] == "outputs" && parts[1] == "artifacts" && parts[len(parts)-1] == "path":
		if name, ok := artifactRef(parts[2:], sc.outArts); !ok {
			sc.c.doc.errorAt(path, "{{%s}} refers to output artifact %q, which template %q does not declare", tag, name, sc.tmpl.Name)
		}
	case len(parts) >= 3 && parts[0] == "workflow" && parts[1] == "parameters":
		name := strings.Join(parts[2:], ".")
		if sc.c.globals != nil && !sc.c.globals[name] && name != "json" {
			sc.c.doc.errorAt(path, "{{%s}} refers to workflow parameter %q, which spec.arguments.parameters does not declare%s",
				tag, name, didYouMean(name, sc.c.globals))
		}
	case len(parts) >= 2 && (parts[0] == "steps" || parts[0] == "tasks"):
		sc.checkChild(path, tag, parts[0], parts[1])
	}
}

func (sc *scope) checkInput(path, name, tag string) {
	if !sc.inputs[name] {
		sc.c.doc.errorAt(path, "%s refers to input parameter %q, which template %q does not declare%s",
			tag, name, sc.tmpl.Name, didYouMean(name, sc.inputs))
	}
}

func (sc *scope) checkChild(path, tag, kind, name string) {
	if sc.childKind == "" {
		return // exit handlers and hooks may read the caller's steps; Argo resolves them at run time
	}
	if kind != sc.childKind {
		sc.c.doc.errorAt(path, "{{%s}} refers to %s, but template %q is a %s template: use {{%s.%s...}}",
			tag, kind, sc.tmpl.Name, map[string]string{"steps": "steps", "tasks": "dag"}[sc.childKind], sc.childKind, name)
		return
	}
	if !sc.children[name] {
		what := map[string]string{"steps": "step", "tasks": "task"}[kind]
		sc.c.doc.errorAt(path, "{{%s}} refers to %s %q, which template %q does not have%s",
			tag, what, name, sc.tmpl.Name, didYouMean(name, sc.children))
	}
}

func didYouMean(name string, known map[string]bool) string {
	names := make([]string, 0, len(known))
	for n := range known {
		names = append(names, n)
	}
	sort.Strings(names)
	if s := suggest(name, names); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// walkStrings calls fn for every string reachable from v, with its field
// path, skipping the named fields at the top level.
func walkStrings(v reflect.Value, path string, skip map[string]bool, fn func(path, s string)) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), path, skip, fn)
		}
	case reflect.Struct:
		if v.Type() == typeItem || v.Type() == typeTime {
			return
		}
		info := fieldsOf(v.Type())
		for _, name := range info.names {
			if skip[name] {
				continue
			}
			walkStrings(v.FieldByIndex(info.fields[name].index), joinPath(path, name), nil, fn)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		for i := range v.Len() {
			walkStrings(v.Index(i), fmt.Sprintf("%s[%d]", path, i), nil, fn)
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			walkStrings(v.MapIndex(k), joinPath(path, k.String()), nil, fn)
		}
	case reflect.String:
		fn(path, v.String())
	}
}

// artifactRef reads the artifact a placeholder names from what follows
// `inputs.artifacts.` or `outputs.artifacts.`: NAME (the artifact) or
// NAME.path (its path); a name may itself hold dots.
func artifactRef(parts []string, declared map[string]bool) (string, bool) {
	whole := strings.Join(parts, ".")
	if declared[whole] {
		return whole, true
	}
	if name, ok := strings.CutSuffix(whole, ".path"); ok {
		return name, declared[name]
	}
	return whole, false
}
