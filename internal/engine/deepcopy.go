package engine

import (
	"reflect"
	"sync"

	"github.com/semaflow/semaflow/api/wfv1"
)

// deepCopy is a copy of wf that shares no pointer, slice or map with it:
// the run mutates its workflow, and callers submit the same parsed
// manifest several times. It walks the value by reflection instead of a
// JSON round trip, which cost several times as much and most of the
// allocations of a submission: wfv1's types are plain data (exported
// fields, no cycles), the only opaque value being time.Time, copied as a
// value.
func deepCopy(wf *wfv1.Workflow) *wfv1.Workflow {
	c := new(wfv1.Workflow)
	cloneInto(reflect.ValueOf(c).Elem(), reflect.ValueOf(wf).Elem())
	return c
}

// cloneInto sets dst, a settable value of src's type, to a deep copy of
// src. The depth is that of the value, which is bounded by the manifest
// it was decoded from.
func cloneInto(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		p := reflect.New(src.Type().Elem())
		cloneInto(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Struct:
		// Assigned whole, then the fields that hold something shared are
		// copied again: a template has scores of fields, most of them
		// strings or nil.
		dst.Set(src)
		for _, i := range deepFields(src.Type()) {
			if f := src.Field(i); !nilOrZero(f) {
				cloneInto(dst.Field(i), f)
			}
		}
	case reflect.Slice:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		n := src.Len()
		s := reflect.MakeSlice(src.Type(), n, n)
		reflect.Copy(s, src)
		if !flat(src.Type().Elem()) {
			for i := range n {
				cloneInto(s.Index(i), src.Index(i))
			}
		}
		dst.Set(s)
	case reflect.Array:
		dst.Set(src)
		if !flat(src.Type().Elem()) {
			for i := range src.Len() {
				cloneInto(dst.Index(i), src.Index(i))
			}
		}
	case reflect.Map:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		t := src.Type()
		m := reflect.MakeMapWithSize(t, src.Len())
		flatElem := flat(t.Elem())
		it := src.MapRange()
		for it.Next() {
			if flatElem {
				m.SetMapIndex(it.Key(), it.Value())
				continue
			}
			v := reflect.New(t.Elem()).Elem()
			cloneInto(v, it.Value())
			m.SetMapIndex(it.Key(), v) // keys: strings in wfv1, values
		}
		dst.Set(m)
	case reflect.Interface:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		v := reflect.New(src.Elem().Type()).Elem()
		cloneInto(v, src.Elem())
		dst.Set(v)
	default:
		dst.Set(src) // scalars; wfv1 has no channels or functions
	}
}

// nilOrZero says a field holds nothing to copy: a nil pointer, slice,
// map or interface (a struct is looked into).
func nilOrZero(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return v.IsNil()
	}
	return false
}

var (
	deepFieldsOf sync.Map // reflect.Type -> []int
	flatTypes    sync.Map // reflect.Type -> bool
)

// deepFields are the indexes of struct type t's fields that are not flat.
// A struct with unexported fields (time.Time) has none: it is a value.
func deepFields(t reflect.Type) []int {
	if v, ok := deepFieldsOf.Load(t); ok {
		return v.([]int)
	}
	var out []int
	if plainStruct(t) {
		for i := range t.NumField() {
			if !flat(t.Field(i).Type) {
				out = append(out, i)
			}
		}
	}
	deepFieldsOf.Store(t, out)
	return out
}

// plainStruct says every field of struct type t is exported.
func plainStruct(t reflect.Type) bool {
	for i := range t.NumField() {
		if !t.Field(i).IsExported() {
			return false
		}
	}
	return true
}

// flat says a value of type t holds nothing shared (no pointer, slice,
// map or interface inside), so that copying it is assigning it.
func flat(t reflect.Type) bool {
	if v, ok := flatTypes.Load(t); ok {
		return v.(bool)
	}
	var f bool
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String:
		f = true
	case reflect.Array:
		f = flat(t.Elem())
	case reflect.Struct:
		f = !plainStruct(t) // time.Time: a value
		if !f {
			f = true
			for i := 0; f && i < t.NumField(); i++ {
				f = flat(t.Field(i).Type)
			}
		}
	}
	flatTypes.Store(t, f)
	return f
}
