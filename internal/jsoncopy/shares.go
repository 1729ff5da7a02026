package jsoncopy

import "reflect"

// Shares says whether a and b hold a map, list or pointer in common:
// what a copy must never do with its source, for a change to one would
// show in the other. For tests of this package and of its callers.
func Shares(a, b any) bool {
	ra, rb := map[uintptr]bool{}, map[uintptr]bool{}
	refs(reflect.ValueOf(a), ra)
	refs(reflect.ValueOf(b), rb)
	for p := range rb {
		if ra[p] {
			return true
		}
	}
	return false
}

// refs collects the maps, lists and pointers v holds.
func refs(v reflect.Value, into map[uintptr]bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			if v.Type().Elem().Size() > 0 { // zero-size values share one address
				into[v.Pointer()] = true
			}
			refs(v.Elem(), into)
		}
	case reflect.Interface:
		if !v.IsNil() {
			refs(v.Elem(), into)
		}
	case reflect.Struct:
		if v.Type() == timeType {
			return // its *Location is immutable, and shared by the round trip too
		}
		for i := range v.NumField() {
			refs(v.Field(i), into)
		}
	case reflect.Slice:
		if v.Cap() > 0 {
			into[v.Pointer()] = true
		}
		for i := range v.Len() {
			refs(v.Index(i), into)
		}
	case reflect.Map:
		if !v.IsNil() {
			into[v.Pointer()] = true
		}
		it := v.MapRange()
		for it.Next() {
			refs(it.Value(), into)
		}
	}
}
