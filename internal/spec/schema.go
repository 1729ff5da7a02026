package spec

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/semaflow/semaflow/api/wfv1"
)

// The schema check walks a YAML node tree alongside the Go type it will be
// decoded into. Decoding alone would silently drop unknown fields and report
// type errors without a line number; walking the nodes keeps both.

var (
	typeIntOrString = reflect.TypeFor[wfv1.IntOrString]()
	typeAnyString   = reflect.TypeFor[wfv1.AnyString]()
	typeItem        = reflect.TypeFor[wfv1.Item]()
	typeObject      = reflect.TypeFor[wfv1.Object]()
	typeTime        = reflect.TypeFor[time.Time]()
)

type fieldInfo struct {
	index []int
	typ   reflect.Type
}

type structInfo struct {
	fields map[string]fieldInfo
	names  []string
}

var structCache sync.Map // reflect.Type -> *structInfo

// fieldsOf maps JSON names to fields, including those promoted from
// embedded structs (`json:",inline"`).
func fieldsOf(t reflect.Type) *structInfo {
	if v, ok := structCache.Load(t); ok {
		return v.(*structInfo)
	}
	info := &structInfo{fields: map[string]fieldInfo{}}
	var collect func(t reflect.Type, prefix []int)
	collect = func(t reflect.Type, prefix []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			name, _, _ := strings.Cut(tag, ",")
			if name == "-" {
				continue
			}
			idx := append(append([]int{}, prefix...), i)
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				collect(f.Type, idx)
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, dup := info.fields[name]; !dup {
				info.fields[name] = fieldInfo{index: idx, typ: f.Type}
				info.names = append(info.names, name)
			}
		}
	}
	collect(t, nil)
	sort.Strings(info.names)
	v, _ := structCache.LoadOrStore(t, info)
	return v.(*structInfo)
}

// checker holds the state of one schema walk.
type checker struct {
	doc    *Document
	budget walkBudget
}

func joinPath(parent, child string) string {
	if parent == "" {
		return child
	}
	return parent + "." + child
}

func (c *checker) errorf(n *yaml.Node, path, format string, args ...any) {
	c.doc.badPaths[path] = true
	if n != nil && n.Kind == yaml.ScalarNode {
		if c.doc.badNodes == nil {
			c.doc.badNodes = map[*yaml.Node]bool{}
		}
		c.doc.badNodes[resolve(n)] = true
	}
	c.doc.addDiag(Diagnostic{Pos: posOf(n), Path: path, Severity: SeverityError, Message: fmt.Sprintf(format, args...)})
}

func posOf(n *yaml.Node) Pos {
	if n == nil {
		return Pos{}
	}
	return Pos{Line: n.Line, Col: n.Column}
}

// check validates node n against type t; path is the dotted field path.
func (c *checker) check(n *yaml.Node, t reflect.Type, path string, depth int) {
	if err := c.budget.spend(depth); err != nil {
		c.errorf(n, path, "%v", err)
		return
	}
	written := n // before aliases are followed: one occurrence of a shared node
	n = resolve(n)
	if n == nil {
		return
	}
	c.doc.recordPos(path, n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // null means "not set" for every field, as in Kubernetes
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case typeIntOrString:
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!str") {
			c.errorf(n, path, "expected an integer or a string, got %s", describe(n))
		}
		return
	case typeAnyString:
		if n.Kind != yaml.ScalarNode {
			c.errorf(n, path, "expected a string, got %s", describe(n))
		}
		return
	case typeItem:
		return
	case typeObject:
		if n.Kind != yaml.MappingNode {
			c.errorf(n, path, "expected an object, got %s", describe(n))
		}
		return
	case typeTime:
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		c.checkStruct(n, t, path, depth)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			c.errorf(n, path, "expected an object, got %s", describe(n))
			return
		}
		c.checkDuplicateKeys(n, path)
		for _, p := range pairs(n) {
			c.check(p.value, t.Elem(), joinPath(path, p.key.Value), depth+1)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			c.errorf(n, path, "expected a list, got %s", describe(n))
			return
		}
		for i, item := range n.Content {
			c.check(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), depth+1)
		}
	case reflect.String:
		if n.Kind == yaml.ScalarNode && scalarKind(n) != "string" {
			c.scalarAsString(written, n, path)
			return
		}
		if n.Kind != yaml.ScalarNode {
			c.errorf(n, path, "expected a string, got %s", describe(n))
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			c.errorf(n, path, "expected true or false, got %s", describe(n))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		c.checkInt(n, t, path)
	case reflect.Interface:
		return
	}
}

func (c *checker) checkInt(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		c.errorf(n, path, "expected an integer, got %s", describe(n))
		return
	}
	var v int64
	if err := n.Decode(&v); err != nil || reflect.Zero(t).OverflowInt(v) {
		c.errorf(n, path, "integer %s is out of range for this field", n.Value)
	}
}

func (c *checker) checkStruct(n *yaml.Node, t reflect.Type, path string, depth int) {
	if n.Kind != yaml.MappingNode {
		c.errorf(n, path, "expected an object, got %s", describe(n))
		return
	}
	if t == reflect.TypeFor[wfv1.SuppliedValueFrom]() {
		return
	}
	c.checkDuplicateKeys(n, path)
	info := fieldsOf(t)
	for _, p := range pairs(n) {
		key := p.key.Value
		f, ok := info.fields[key]
		if !ok {
			f, ok = c.otherCase(n, p.key, info, path)
		}
		if !ok {
			fieldPath := joinPath(path, key)
			c.doc.recordPos(fieldPath, p.key)
			msg := fmt.Sprintf("unknown field %q", key)
			if why := misplaced(t, key); why != "" {
				msg += ": " + why
			} else if s := suggest(key, info.names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			c.errorf(p.key, fieldPath, "%s", msg)
			continue
		}
		if c.doc.keyPos == nil {
			c.doc.keyPos = map[string]Pos{}
		}
		c.doc.keyPos[joinPath(path, key)] = posOf(p.key)
		c.check(p.value, f.typ, joinPath(path, key), depth+1)
	}
}

func (c *checker) checkDuplicateKeys(n *yaml.Node, path string) {
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if seen[k.Value] {
			c.errorf(k, joinPath(path, k.Value), "field %q appears twice in the same object", k.Value)
		}
		seen[k.Value] = true
	}
}

// describe renders a node for an error message: its kind and, for short
// scalars, its text.
func describe(n *yaml.Node) string {
	k := nodeKind(n)
	if n.Kind == yaml.ScalarNode {
		v := n.Value
		if len(v) > 30 {
			v = v[:30] + "..."
		}
		return fmt.Sprintf("%s %q", k, v)
	}
	return k
}
