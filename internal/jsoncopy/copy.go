// Package jsoncopy copies a value as a JSON round trip would, without
// encoding: a deep copy that drops what JSON drops (an empty list or map
// under omitempty becomes nil, unexported fields and fields an embedded
// name hides are lost) and shares no map, slice or pointer with its
// source. Copy stands in for json.Marshal then json.Unmarshal into the
// same type; Replace for the trip through a generic tree that
// substitutes placeholders in every string.
package jsoncopy

import (
	"encoding"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Copy returns what json.Marshal of v then json.Unmarshal into a new T
// gives, and the round trip's error. What the walk does not copy itself
// (a type with its own JSON methods, text that is not UTF-8, a struct
// shape it does not follow, a value nested past maxCopyDepth) goes
// through the real round trip on its own, the smallest value around it
// that JSON encodes by itself.
func Copy[T any](v *T) (T, error) {
	var out T
	c := copier{typed: true}
	if c.value(reflect.ValueOf(&out).Elem(), reflect.ValueOf(v).Elem(), false, 0) {
		return out, nil
	}
	// The round trip fails; its own error is the one to give, from the
	// whole value as the caller would have met it.
	var whole T
	b, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(b, &whole)
	}
	if err == nil {
		err = c.err
	}
	return whole, err
}

// Replace returns what the JSON round trip of v through a generic tree
// (json.Unmarshal into any), with text applied to every string value
// (not to map keys), then back into T gives. text returns false where
// that round trip would fail or give something else. ok is false too for
// anything else whose round trip Replace does not reproduce exactly: text
// that is not valid UTF-8 before or after text, an integer past 15
// digits (the caller's tree, decoded by UnmarshalNumbers, keeps it
// exact; this walk does not judge where a float64 would), a type with its own JSON
// methods other than wfv1's AnyString and IntOrString, an interface
// holding anything but what JSON decodes to, and struct shapes where
// JSON would drop a field. The caller then takes the round trip.
func Replace[T any](v *T, text func(string) (string, bool)) (T, bool) {
	var out T
	c := copier{text: text}
	if !c.value(reflect.ValueOf(&out).Elem(), reflect.ValueOf(v).Elem(), false, 0) {
		return out, false
	}
	return out, true
}

// copier is one Copy or Replace.
type copier struct {
	// text maps each string in Replace; nil keeps strings as they are.
	text func(string) (string, bool)
	// typed: the trip is json.Unmarshal into the type itself (Copy), so
	// integers and finite floats are exact, and a value the walk does not
	// copy takes the real round trip by itself.
	typed bool
	// err is the error of such a round trip (typed only).
	err error
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
	timeType            = reflect.TypeFor[time.Time]()
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
// in a field tagged omitempty. A Copy that cannot walk src takes the
// round trip of src alone; false then means that round trip failed.
func (c *copier) value(dst, src reflect.Value, omit bool, depth int) bool {
	if c.walk(dst, src, omit, depth) {
		return true
	}
	if !c.typed || c.err != nil {
		return false
	}
	return c.roundTrip(dst, src, omit)
}

// roundTrip sets dst to src's own JSON round trip. src is encoded as the
// whole value's encoding meets it: by its address when it has one (a
// method on the pointer applies), omitted when empty under omitempty.
// Decoding into a zero dst is what decoding the whole does to the field,
// element or map value dst is.
func (c *copier) roundTrip(dst, src reflect.Value, omit bool) bool {
	dst.SetZero()
	if omit && emptyValue(src) {
		return true
	}
	in := src.Interface()
	if src.CanAddr() {
		in = src.Addr().Interface()
	}
	b, err := json.Marshal(in)
	if err == nil {
		err = json.Unmarshal(b, dst.Addr().Interface())
	}
	if err != nil {
		c.err = err
		return false
	}
	return true
}

// emptyValue is encoding/json's test for omitempty.
func emptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64,
		reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// walk is value without the round trip: false for what it does not copy.
func (c *copier) walk(dst, src reflect.Value, omit bool, depth int) bool {
	if depth > maxCopyDepth {
		return false
	}
	t := src.Type()
	switch t {
	case anyStringType:
		return c.copyString(dst, src)
	case intOrStringType:
		return c.copyIntOrString(dst, src)
	case timeType:
		return c.typed && copyTime(dst, src)
	}
	// A pointer is judged by what it points at, so *AnyString is copied;
	// a struct's plan says whether it has JSON methods.
	if k := t.Kind(); k != reflect.Pointer && k != reflect.Struct && ownJSON(t) {
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
		if !c.typed && (n > maxExactInt || n < -maxExactInt) {
			return false
		}
		dst.SetInt(n)
		return true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n := src.Uint()
		if !c.typed && n > maxExactInt {
			return false
		}
		dst.SetUint(n)
		return true
	case reflect.Float32, reflect.Float64:
		// Encoded in the fewest digits that parse back to the same
		// value at the field's precision.
		f := src.Float()
		if !c.typed || math.IsNaN(f) || math.IsInf(f, 0) {
			return false
		}
		dst.SetFloat(f)
		return true
	case reflect.Pointer:
		if src.IsNil() {
			return true
		}
		switch e := t.Elem(); {
		case e.Kind() == reflect.Pointer || e.Kind() == reflect.Slice || e.Kind() == reflect.Map || e.Kind() == reflect.Interface:
			if src.Elem().IsNil() {
				return true // encodes as null, which decodes to a nil pointer
			}
		case e != anyStringType && e != intOrStringType && e != timeType && ownJSON(e):
			return false // its encoding may be null: taken with the pointer
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

// str is s as the round trip gives it; ok is false where the walk does
// not reproduce that (JSON writes each byte that is not UTF-8 as U+FFFD).
func (c *copier) str(s string) (string, bool) {
	if !utf8.ValidString(s) {
		return "", false
	}
	if c.text == nil {
		return s, true
	}
	r, ok := c.text(s)
	if !ok || !utf8.ValidString(r) {
		return "", false
	}
	return r, true
}

// copyTime copies a time as its JSON methods write and read it (RFC
// 3339 to the nanosecond: the monotonic reading and the zone's name are
// lost), without the encoder around them: their output is one plain
// JSON string, which the encoder would leave as it is.
func copyTime(dst, src reflect.Value) bool {
	b, err := src.Interface().(time.Time).MarshalJSON()
	if err != nil {
		return false // the round trip of src alone gives the error
	}
	var t time.Time
	if t.UnmarshalJSON(b) != nil {
		return false
	}
	dst.Set(reflect.ValueOf(t))
	return true
}

func (c *copier) copyString(dst, src reflect.Value) bool {
	s, ok := c.str(src.String())
	if ok {
		dst.SetString(s)
	}
	return ok
}

// copyIntOrString copies the form IntOrString writes; fields its
// encoding would drop must be empty.
func (c *copier) copyIntOrString(dst, src reflect.Value) bool {
	v := src.Interface().(wfv1.IntOrString)
	if v.IsString {
		var ok bool
		if v.StrVal, ok = c.str(v.StrVal); !ok || v.IntVal != 0 {
			return false
		}
	} else if v.StrVal != "" || v.IntVal > maxExactInt || v.IntVal < -maxExactInt {
		return false
	}
	dst.Set(reflect.ValueOf(v))
	return true
}

func (c *copier) copyMap(dst, src reflect.Value, omit bool, depth int) bool {
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
func (c *copier) copyInterface(dst, src reflect.Value, depth int) bool {
	if src.IsNil() {
		return true
	}
	switch x := src.Interface().(type) {
	case string:
		r, ok := c.str(x)
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
// through embedded structs; ok is false for a shape it does not cover,
// or a type with its own JSON methods.
type structPlan struct {
	fields []planField
	ok     bool
}

type planField struct {
	index []int
	// at is index[0] when the field is not embedded (index has one
	// element), else -1.
	at   int
	omit bool
	// nilable: a pointer, list, map or interface, left nil when nil.
	nilable bool
	// zeroKept: a string, bool or integer without JSON methods of its
	// own (AnyString's keep the empty text), whose zero value comes back
	// as it is and is left as the zero dst already holds.
	zeroKept bool
}

var structPlans sync.Map // reflect.Type -> *structPlan

func (c *copier) copyStruct(dst, src reflect.Value, depth int) bool {
	plan := planOf(src.Type())
	if !plan.ok {
		return false
	}
	for i := range plan.fields {
		f := &plan.fields[i]
		var sf reflect.Value
		if f.at >= 0 {
			sf = src.Field(f.at)
		} else {
			sf = src.FieldByIndex(f.index)
		}
		if (f.nilable && sf.IsNil()) || (f.zeroKept && sf.IsZero()) {
			continue // nil encodes as null or not at all, and decodes as nil
		}
		var df reflect.Value
		if f.at >= 0 {
			df = dst.Field(f.at)
		} else {
			df = dst.FieldByIndex(f.index)
		}
		if !c.value(df, sf, f.omit, depth+1) {
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
	if !ownJSON(t) && addFields(&cands, t, nil) {
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
		pf := planField{index: at, at: -1, omit: opts == "omitempty", nilable: nilable,
			zeroKept: scalarKind(k) && (f.Type == anyStringType || !ownJSON(f.Type))}
		if len(at) == 1 {
			pf.at = at[0]
		}
		*into = append(*into, candField{name: name, planField: pf})
	}
	return true
}

// scalarKind says a value of kind k is text, a truth value or an
// integer. Not a float: IsZero holds for -0, which JSON keeps.
func scalarKind(k reflect.Kind) bool {
	switch k {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
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
