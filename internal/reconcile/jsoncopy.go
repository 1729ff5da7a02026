package reconcile

import (
	"encoding"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
)

// jsonCopy returns what substitute's JSON round trip gives for v, without
// encoding: a deep copy with every string's placeholders replaced that
// drops what JSON drops (an empty list or map under omitempty becomes
// nil, unexported fields are lost). ok is false for anything whose round
// trip it does not reproduce exactly: a placeholder that fails (the
// round trip's error depends on which string it meets first), text that
// is not valid UTF-8 before or after replacing, an integer past 15
// digits, a type with its own JSON methods other than wfv1's AnyString
// and IntOrString, an interface holding anything but what JSON decodes
// to, and struct shapes where JSON would drop a field. The caller then
// takes the round trip.
func jsonCopy[T any](v *T, scope expr.Scope) (T, bool) {
	var out T
	c := copier{scope: scope}
	if !c.value(reflect.ValueOf(&out).Elem(), reflect.ValueOf(v).Elem(), false, 0) {
		return out, false
	}
	return out, true
}

// copier is one jsonCopy: the scope its placeholders resolve in.
type copier struct {
	scope expr.Scope
}

// maxCopyDepth bounds the walk; a deeper value takes the round trip.
const maxCopyDepth = 64

// maxExactInt is the largest integer the round trip through a float64
// tree keeps for certain (it allows 15 digits, as treeInvariant does).
const maxExactInt = 999_999_999_999_999

var (
	marshalerType       = reflect.TypeFor[json.Marshaler]()
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textMarshalerType   = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	anyStringType       = reflect.TypeFor[wfv1.AnyString]()
	intOrStringType     = reflect.TypeFor[wfv1.IntOrString]()
)

var ownJSONTypes sync.Map // reflect.Type -> bool

// ownJSON says whether t encodes or decodes itself. Only a named type or
// a struct (through an embedded field) has methods.
func ownJSON(t reflect.Type) bool {
	if t.PkgPath() == "" && t.Kind() != reflect.Struct {
		return false
	}
	if own, ok := ownJSONTypes.Load(t); ok {
		return own.(bool)
	}
	own := hasJSONMethods(t)
	ownJSONTypes.Store(t, own)
	return own
}

func hasJSONMethods(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Implements(marshalerType) || p.Implements(marshalerType) ||
		p.Implements(unmarshalerType) || t.Implements(textMarshalerType) ||
		p.Implements(textMarshalerType) || p.Implements(textUnmarshalerType)
}

// value sets dst, a zero value, to src's round trip; omit says src sits
// in a field tagged omitempty.
func (c copier) value(dst, src reflect.Value, omit bool, depth int) bool {
	if depth > maxCopyDepth {
		return false
	}
	t := src.Type()
	switch t {
	case anyStringType:
		return c.copyString(dst, src)
	case intOrStringType:
		return c.copyIntOrString(dst, src)
	}
	// A pointer is judged by what it points at, so *AnyString is copied.
	if t.Kind() != reflect.Pointer && ownJSON(t) {
		return false
	}
	switch t.Kind() {
	case reflect.String:
		return c.copyString(dst, src)
	case reflect.Bool:
		dst.SetBool(src.Bool())
		return true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n := src.Int()
		if n > maxExactInt || n < -maxExactInt {
			return false
		}
		dst.SetInt(n)
		return true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n := src.Uint()
		if n > maxExactInt {
			return false
		}
		dst.SetUint(n)
		return true
	case reflect.Pointer:
		if src.IsNil() {
			return true
		}
		p := reflect.New(t.Elem())
		if !c.value(p.Elem(), src.Elem(), false, depth+1) {
			return false
		}
		dst.Set(p)
		return true
	case reflect.Struct:
		return c.copyStruct(dst, src, depth)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return false // base64 text
		}
		if src.IsNil() || (src.Len() == 0 && omit) {
			return true
		}
		s := reflect.MakeSlice(t, src.Len(), src.Len())
		for i := range src.Len() {
			if !c.value(s.Index(i), src.Index(i), false, depth+1) {
				return false
			}
		}
		dst.Set(s)
		return true
	case reflect.Map:
		return c.copyMap(dst, src, omit, depth)
	case reflect.Interface:
		return c.copyInterface(dst, src, depth)
	}
	return false
}

// text is s with its placeholders replaced as replaceTree replaces
// them; ok is false where the round trip would fail or change the result.
func (c copier) text(s string) (string, bool) {
	if !utf8.ValidString(s) {
		return "", false
	}
	if !strings.Contains(s, "{{") {
		return s, true
	}
	r, err := expr.Replace(s, c.scope, false)
	if err != nil || checkResolved(r) != nil || !utf8.ValidString(r) {
		return "", false
	}
	return r, true
}

func (c copier) copyString(dst, src reflect.Value) bool {
	s, ok := c.text(src.String())
	if ok {
		dst.SetString(s)
	}
	return ok
}

// copyIntOrString copies the form IntOrString writes; fields its
// encoding would drop must be empty.
func (c copier) copyIntOrString(dst, src reflect.Value) bool {
	v := src.Interface().(wfv1.IntOrString)
	if v.IsString {
		var ok bool
		if v.StrVal, ok = c.text(v.StrVal); !ok || v.IntVal != 0 {
			return false
		}
	} else if v.StrVal != "" || v.IntVal > maxExactInt || v.IntVal < -maxExactInt {
		return false
	}
	dst.Set(reflect.ValueOf(v))
	return true
}

func (c copier) copyMap(dst, src reflect.Value, omit bool, depth int) bool {
	t := src.Type()
	if t.Key().Kind() != reflect.String || ownJSON(t.Key()) {
		return false
	}
	if src.IsNil() || (src.Len() == 0 && omit) {
		return true
	}
	m := reflect.MakeMapWithSize(t, src.Len())
	it := src.MapRange()
	for it.Next() {
		k := it.Key()
		if !utf8.ValidString(k.String()) {
			return false
		}
		e := reflect.New(t.Elem()).Elem()
		if !c.value(e, it.Value(), false, depth+1) {
			return false
		}
		m.SetMapIndex(k, e)
	}
	dst.Set(m)
	return true
}

// copyInterface copies what JSON decodes into an interface: text,
// float64, bool, and non-nil []any and map[string]any.
func (c copier) copyInterface(dst, src reflect.Value, depth int) bool {
	if src.IsNil() {
		return true
	}
	switch x := src.Interface().(type) {
	case string:
		r, ok := c.text(x)
		if ok {
			dst.Set(reflect.ValueOf(r))
		}
		return ok
	case bool:
		dst.Set(src)
		return true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
		dst.Set(src)
		return true
	case []any:
		if x == nil {
			return false
		}
		out := make([]any, len(x))
		for i := range x {
			if !c.value(reflect.ValueOf(&out[i]).Elem(), reflect.ValueOf(&x[i]).Elem(), false, depth+1) {
				return false
			}
		}
		dst.Set(reflect.ValueOf(out))
		return true
	case map[string]any:
		if x == nil {
			return false
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			if !utf8.ValidString(k) {
				return false
			}
			var ce any
			if !c.value(reflect.ValueOf(&ce).Elem(), reflect.ValueOf(&e).Elem(), false, depth+1) {
				return false
			}
			out[k] = ce
		}
		dst.Set(reflect.ValueOf(out))
		return true
	}
	return false
}

// structPlan is the fields JSON encodes of a struct type, flattened
// through embedded structs; ok is false for a shape it does not cover.
type structPlan struct {
	fields []planField
	ok     bool
}

type planField struct {
	index []int
	omit  bool
	// nilable: a pointer, list, map or interface, left nil when nil.
	nilable bool
}

var structPlans sync.Map // reflect.Type -> *structPlan

func (c copier) copyStruct(dst, src reflect.Value, depth int) bool {
	plan := planOf(src.Type())
	if !plan.ok {
		return false
	}
	for _, f := range plan.fields {
		sf := src.FieldByIndex(f.index)
		if f.nilable && sf.IsNil() {
			continue // nil encodes as null or not at all, and decodes as nil
		}
		if !c.value(dst.FieldByIndex(f.index), sf, f.omit, depth+1) {
			return false
		}
	}
	return true
}

func planOf(t reflect.Type) *structPlan {
	if p, ok := structPlans.Load(t); ok {
		return p.(*structPlan)
	}
	p := &structPlan{}
	var cands []candField
	if addFields(&cands, t, nil) {
		p.fields, p.ok = dominant(cands)
	}
	structPlans.Store(t, p)
	return p
}

// candField is a field JSON may encode, before embedded fields of the
// same name are resolved.
type candField struct {
	name string
	planField
}

// addFields lists t's candidate fields under index. An embedded pointer,
// an unexported or tagged embedded struct, or a tag option other than
// omitempty make the plan unusable.
func addFields(into *[]candField, t reflect.Type, index []int) bool {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		at := append(append([]int(nil), index...), i)
		if f.Anonymous && name != "" {
			return false
		}
		if f.Anonymous {
			// An unexported embedded struct's fields cannot be set.
			if f.Type.Kind() != reflect.Struct || ownJSON(f.Type) || !f.IsExported() {
				return false
			}
			if !addFields(into, f.Type, at) {
				return false
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if opts != "" && opts != "omitempty" && opts != "inline" {
			return false
		}
		if name == "" {
			name = f.Name
		}
		k := f.Type.Kind()
		nilable := k == reflect.Pointer || k == reflect.Slice || k == reflect.Map || k == reflect.Interface
		*into = append(*into, candField{name: name, planField: planField{index: at, omit: opts == "omitempty", nilable: nilable}})
	}
	return true
}

// dominant keeps the fields JSON encodes: of fields with one name, the
// one embedded least deep; JSON ignores the others, so they stay zero
// (Artifact's archiveLogs hides ArtifactLocation's). A tie, or names
// equal but for case, make the plan unusable: there JSON's rules are
// subtler than this copy follows.
func dominant(cands []candField) ([]planField, bool) {
	byName := map[string]int{} // exact name -> index in cands of the shallowest
	folded := map[string]string{}
	for i, c := range cands {
		if other, ok := folded[strings.ToLower(c.name)]; ok && other != c.name {
			return nil, false
		}
		folded[strings.ToLower(c.name)] = c.name
		j, ok := byName[c.name]
		switch {
		case !ok || len(c.index) < len(cands[j].index):
			byName[c.name] = i
		case len(c.index) == len(cands[j].index):
			return nil, false
		}
	}
	var out []planField
	for i, c := range cands {
		if byName[c.name] == i {
			out = append(out, c.planField)
		}
	}
	return out, true
}
