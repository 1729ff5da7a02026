package engine

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// fill sets every field reachable from v, to depth levels of pointers,
// slices and maps, to a value of its own (strings name their path), so
// that a copy has something to share.
func fill(v reflect.Value, path string, depth int) {
	switch v.Kind() {
	case reflect.Pointer:
		if depth == 0 {
			return
		}
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), path, depth-1)
		v.Set(p)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 12, 5, 11, 0, 0, 123, time.UTC)))
			return
		}
		for i := range v.NumField() {
			fill(v.Field(i), path+"."+v.Type().Field(i).Name, depth)
		}
	case reflect.Slice:
		if depth == 0 {
			return
		}
		if v.Type().Elem().Kind() == reflect.Uint8 { // json.RawMessage
			v.SetBytes([]byte(`"` + path + `"`))
			return
		}
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(s.Index(i), fmt.Sprintf("%s[%d]", path, i), depth-1)
		}
		v.Set(s)
	case reflect.Map:
		if depth == 0 {
			return
		}
		m := reflect.MakeMap(v.Type())
		e := reflect.New(v.Type().Elem()).Elem()
		if v.Type().Elem().Kind() == reflect.Interface {
			e.Set(reflect.ValueOf(map[string]any{"in": []any{path, 1.5, map[string]any{"deep": true}}}))
		} else {
			fill(e, path+"[k]", depth-1)
		}
		m.SetMapIndex(reflect.ValueOf("k").Convert(v.Type().Key()), e)
		v.Set(m)
	case reflect.String:
		v.SetString(path)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(2.5)
	}
}

// shared collects the addresses of what v points to: pointers' targets,
// slices' backing arrays, maps.
func shared(v reflect.Value, into map[uintptr]string, path string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			if v.Type().Elem().Size() > 0 { // all zero-size values share one address
				into[v.Pointer()] = path
			}
			shared(v.Elem(), into, path)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				shared(v.Field(i), into, path+"."+v.Type().Field(i).Name)
			}
		}
	case reflect.Slice:
		if v.Len() > 0 {
			into[v.Pointer()] = path
		}
		for i := range v.Len() {
			shared(v.Index(i), into, fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		if !v.IsNil() {
			into[v.Pointer()] = path
		}
		it := v.MapRange()
		for it.Next() {
			shared(it.Value(), into, path+"["+fmt.Sprint(it.Key())+"]")
		}
	case reflect.Interface:
		if !v.IsNil() {
			shared(v.Elem(), into, path)
		}
	}
}

// A copy is the same document and shares nothing with its original: the
// run mutates its workflow, and one parsed manifest is submitted many
// times.
func TestDeepCopySharesNothing(t *testing.T) {
	var wf wfv1.Workflow
	fill(reflect.ValueOf(&wf).Elem(), "wf", 3)
	c, _ := deepCopy(&wf)
	a, err := json.Marshal(&wf)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Fatalf("the copy differs:\noriginal %s\ncopy     %s", a, b)
	}
	if len(a) < 10000 {
		t.Fatalf("fill reached too little of a workflow to prove anything: %d bytes of JSON", len(a))
	}
	orig := map[uintptr]string{}
	shared(reflect.ValueOf(&wf), orig, "wf")
	cp := map[uintptr]string{}
	shared(reflect.ValueOf(c), cp, "wf")
	for p, path := range cp {
		if o, ok := orig[p]; ok {
			t.Errorf("the copy's %s is the original's %s", path, o)
		}
	}
	// Absent stays absent, and an empty list or map under omitempty
	// becomes absent, as the round trip has it.
	var sparse wfv1.Workflow
	sparse.Spec.Templates = []wfv1.Template{}
	sc, _ := deepCopy(&sparse)
	if sc.Spec.Templates != nil || sc.Spec.Arguments.Parameters != nil || sc.Metadata.Labels != nil || sc.Spec.Affinity != nil {
		t.Fatalf("nil and empty are not as the JSON round trip has them: %+v", sc.Spec)
	}
}
