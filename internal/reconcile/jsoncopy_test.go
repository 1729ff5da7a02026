package reconcile

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
	"github.com/semaflow/semaflow/internal/jsoncopy"
	"pgregory.net/rapid"
)

// drawn values come from small pools that hold the cases JSON treats
// specially: text that is not UTF-8 or holds a placeholder, integers
// past what a float64 keeps, floats JSON cannot write, empty against nil.
var (
	poolStrings = []string{"", "a", "a<b>&c", "\xff\xfe", "x{{inputs.parameters.a}}", "ünï\u2028", "{{", "line\n\"q\"",
		"{{inputs.parameters.missing}}", "{{inputs.parameters.bad}}", "{{tasks.gone.outputs.result}}", "{{unknown.x}}",
		"{{=1+1}}", "{{= nope(}}", "{{inputs.parameters.big}}"}
	poolInts  = []int64{0, 1, -7, 999_999_999_999_999, 1_000_000_000_000_000, 9007199254740993, math.MaxInt64, math.MinInt64}
	poolItems = []string{"1", `"a"`, `{"b":1,"a":2}`, "", "1.50"}
	// The benign pools hold only what jsonCopy copies, so that whole
	// templates are copied often enough to compare.
	benignStrings = []string{"", "a", "a<b>&c", "ünï\u2028", "line\n\"q\"", "x{{inputs.parameters.a}}y", "{{unknown.x}}",
		"{{=1+1}}", "{{ workflow.name }}", "{{"}
	benignInts = []int64{0, 1, -7, 999_999_999_999_999}
)

func strs(benign bool) []string {
	if benign {
		return benignStrings
	}
	return poolStrings
}

func ints(benign bool) []int64 {
	if benign {
		return benignInts
	}
	return poolInts
}

// drawAny draws what an interface field may hold: what JSON decodes
// to, and types it does not.
func drawAny(rt *rapid.T, depth int, benign bool) any {
	if depth > 3 {
		return "leaf"
	}
	kinds := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	if benign {
		kinds = []int{0, 1, 3, 8, 9}
	}
	switch rapid.SampledFrom(kinds).Draw(rt, "any") {
	case 0:
		return nil
	case 1:
		return rapid.SampledFrom(strs(benign)).Draw(rt, "s")
	case 2:
		return rapid.SampledFrom([]float64{0, 1.5, -2, 1e21, 0.1, math.NaN(), math.Inf(1)}).Draw(rt, "f")
	case 3:
		return rapid.Bool().Draw(rt, "b")
	case 4:
		return 3
	case 5:
		return []string{"x"}
	case 6:
		return []any(nil)
	case 7:
		return map[string]any(nil)
	case 8:
		out := make([]any, rapid.IntRange(0, 2).Draw(rt, "n"))
		for i := range out {
			out[i] = drawAny(rt, depth+1, benign)
		}
		return out
	default:
		n := rapid.IntRange(0, 2).Draw(rt, "n")
		out := make(map[string]any, n)
		for range n {
			out[rapid.SampledFrom(strs(benign)).Draw(rt, "k")] = drawAny(rt, depth+1, benign)
		}
		return out
	}
}

// drawInto fills v, a settable zero value, with a drawn value of its
// type; past depth 3 pointers, lists and maps stay nil so recursive
// types end.
func drawInto(rt *rapid.T, v reflect.Value, depth int, benign bool) {
	t := v.Type()
	switch t {
	case reflect.TypeFor[wfv1.IntOrString]():
		if rapid.Bool().Draw(rt, "isString") {
			v.Set(reflect.ValueOf(wfv1.IntOrString{IsString: true, StrVal: rapid.SampledFrom(strs(benign)).Draw(rt, "strVal")}))
		} else {
			v.Set(reflect.ValueOf(wfv1.IntOrString{IntVal: rapid.SampledFrom(ints(benign)).Draw(rt, "intVal")}))
		}
		if !benign {
			v.Set(reflect.ValueOf(wfv1.IntOrString{IsString: rapid.Bool().Draw(rt, "isString"),
				IntVal: rapid.SampledFrom([]int64{0, 5, 9007199254740993}).Draw(rt, "intVal"),
				StrVal: rapid.SampledFrom(poolStrings).Draw(rt, "strVal")}))
		}
		return
	case reflect.TypeFor[wfv1.Item]():
		if benign {
			return
		}
		if raw := rapid.SampledFrom(poolItems).Draw(rt, "item"); raw != "" {
			v.Set(reflect.ValueOf(wfv1.Item{RawMessage: json.RawMessage(raw)}))
		}
		return
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString(rapid.SampledFrom(strs(benign)).Draw(rt, "string"))
	case reflect.Bool:
		v.SetBool(rapid.Bool().Draw(rt, "bool"))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n := rapid.SampledFrom(ints(benign)).Draw(rt, "int")
		if v.OverflowInt(n) {
			n = 3
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(rapid.IntRange(0, 9).Draw(rt, "uint")))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(rapid.SampledFrom([]float64{0, 1.5}).Draw(rt, "float"))
	case reflect.Pointer:
		if depth < 3 && rapid.IntRange(0, 2).Draw(rt, "ptr") > 0 {
			p := reflect.New(t.Elem())
			drawInto(rt, p.Elem(), depth+1, benign)
			v.Set(p)
		}
	case reflect.Struct:
		for i := range t.NumField() {
			if f := v.Field(i); f.CanSet() && (depth < 3 || rapid.Bool().Draw(rt, "field")) {
				drawInto(rt, f, depth+1, benign)
			}
		}
	case reflect.Slice:
		switch n := rapid.IntRange(-1, 2).Draw(rt, "len"); {
		case n < 0 || depth >= 3:
		default:
			s := reflect.MakeSlice(t, n, n)
			for i := range n {
				drawInto(rt, s.Index(i), depth+1, benign)
			}
			v.Set(s)
		}
	case reflect.Map:
		switch n := rapid.IntRange(-1, 2).Draw(rt, "len"); {
		case n < 0 || depth >= 3:
		default:
			m := reflect.MakeMap(t)
			for range n {
				e := reflect.New(t.Elem()).Elem()
				drawInto(rt, e, depth+1, benign)
				m.SetMapIndex(reflect.ValueOf(rapid.SampledFrom(strs(benign)).Draw(rt, "key")).Convert(t.Key()), e)
			}
			v.Set(m)
		}
	case reflect.Interface:
		if a := drawAny(rt, depth, benign); a != nil {
			v.Set(reflect.ValueOf(a))
		}
	}
}

// checkJSONCopy holds jsonCopy to the full round trip on a drawn T.
func checkJSONCopy[T any](rt *rapid.T, stats *[2]int) {
	var v T
	drawInto(rt, reflect.ValueOf(&v).Elem(), 0, rapid.Bool().Draw(rt, "benign"))
	scope := expr.Scope{"inputs.parameters.a": "A\"<\n", "inputs.parameters.bad": "\xff", "workflow.name": "wf",
		"tasks.gone.status": wfv1.PhaseSkipped, "inputs.parameters.big": "12345678901234567890"}
	got, ok := jsonCopy(&v, scope)
	if ok {
		stats[0]++
		want, err := substituteTree(v, scope)
		if err != nil {
			rt.Fatalf("jsonCopy copied what the round trip rejects: %v", err)
		}
		if !reflect.DeepEqual(got, want) {
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			rt.Fatalf("jsonCopy gives %s (%#v)\nthe round trip gives %s (%#v)", g, got, w, want)
		}
		if jsoncopy.Shares(got, v) {
			rt.Fatalf("jsonCopy's result shares memory with its input")
		}
	} else {
		stats[1]++
	}
	// substitute, which tries jsonCopy first, still matches the round trip.
	got, gotErr := substitute(v, scope)
	want, wantErr := substituteTree(v, scope)
	sameResult(rt, v, got, want, gotErr, wantErr, scope)
}

// TestJSONCopyMatchesRoundTrip draws whole templates, arguments and
// retry strategies, every field of their types, and holds jsonCopy to
// the JSON round trip it stands in for.
func TestJSONCopyMatchesRoundTrip(t *testing.T) {
	var stats [3][2]int
	t.Run("Template", func(t *testing.T) { rapid.Check(t, func(rt *rapid.T) { checkJSONCopy[wfv1.Template](rt, &stats[0]) }) })
	t.Run("Arguments", func(t *testing.T) { rapid.Check(t, func(rt *rapid.T) { checkJSONCopy[wfv1.Arguments](rt, &stats[1]) }) })
	t.Run("RetryStrategy", func(t *testing.T) {
		rapid.Check(t, func(rt *rapid.T) { checkJSONCopy[wfv1.RetryStrategy](rt, &stats[2]) })
	})
	var artStats [2]int
	t.Run("Artifact", func(t *testing.T) { rapid.Check(t, func(rt *rapid.T) { checkJSONCopy[wfv1.Artifact](rt, &artStats) }) })
	t.Logf("jsonCopy copied / left to the round trip: templates %v, arguments %v, retry strategies %v, artifacts %v",
		stats[0], stats[1], stats[2], artStats)
}

// TestJSONCopyCommonShapes pins that the templates steps are made of are
// copied without the round trip.
func TestJSONCopyCommonShapes(t *testing.T) {
	v := wfv1.AnyString("5")
	for i, tmpl := range []wfv1.Template{
		{Name: "noop", Container: &wfv1.Container{Image: "x", Command: []string{"true"}}},
		{Name: "s", Script: &wfv1.ScriptTemplate{Container: wfv1.Container{Image: "x"}, Source: "echo"},
			Inputs:                wfv1.Inputs{Parameters: []wfv1.Parameter{{Name: "p", Value: &v}}},
			ActiveDeadlineSeconds: wfv1.Int(30), SecurityContext: wfv1.Object{"runAsUser": 1000.0}},
	} {
		got, ok := jsonCopy(&tmpl, expr.Scope{})
		if !ok {
			t.Fatalf("template %d: jsonCopy left it to the round trip", i)
		}
		want, err := substituteTree(tmpl, expr.Scope{})
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("template %d: jsonCopy gives %+v, the round trip %+v, %v", i, got, want, err)
		}
	}
}

// FuzzJSONCopy decodes a manifest's template and holds substitute, typed
// copy first, to the full round trip.
func FuzzJSONCopy(f *testing.F) {
	f.Add(`{"name":"a","container":{"image":"x","command":["echo","{{inputs.parameters.a}}"]}}`, "v")
	f.Add(`{"name":"b","script":{"image":"x","source":"{{=1+1}}"},"securityContext":{"runAsUser":1000,"x":[1,{"a":null}]}}`, "")
	f.Add(`{"activeDeadlineSeconds":"{{inputs.parameters.a}}","parallelism":9007199254740993,"nodeSelector":{}}`, "30")
	f.Add(`{"steps":[[{"name":"s","withItems":[{"b":1,"a":2}],"arguments":{"parameters":[{"name":"p","value":"{{item}}"}]}}]]}`, "x")
	f.Fuzz(func(t *testing.T, src, val string) {
		var tmpl wfv1.Template
		if json.Unmarshal([]byte(src), &tmpl) != nil {
			return
		}
		scope := expr.Scope{"inputs.parameters.a": val, "item": val, "tasks.gone.status": wfv1.PhaseSkipped}
		got, gotErr := substitute(tmpl, scope)
		want, wantErr := substituteTree(tmpl, scope)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("error %v, the full round trip gives %v", gotErr, wantErr)
		}
		if gotErr == nil && !reflect.DeepEqual(got, want) {
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			t.Fatalf("got %s\nthe full round trip gives %s", g, w)
		}
	})
}

// TestJSONCopyShapes pins the struct shapes jsonCopy leaves to the round
// trip, and that it follows the round trip on a name embedded twice.
func TestJSONCopyShapes(t *testing.T) {
	type inner struct{ A, B string }
	type hidden struct{ A string }
	type outer struct {
		A string
		inner
	}
	type twice struct {
		A string `json:"a"`
		hidden
	}
	type E1 struct{ A string }
	type E2 struct{ A string }
	type tie struct {
		E1
		E2
	}
	type Exported struct{ A, B string }
	type shadow struct {
		B string
		Exported
	}
	if _, ok := jsonCopy(&outer{A: "x", inner: inner{B: "y"}}, nil); ok {
		t.Error("an unexported embedded struct was copied")
	}
	if _, ok := jsonCopy(&twice{A: "x"}, nil); ok {
		t.Error("an unexported embedded struct was copied")
	}
	if _, ok := jsonCopy(&tie{}, nil); ok {
		t.Error("names equal at one depth were copied")
	}
	v := shadow{B: "outer", Exported: Exported{A: "a", B: "hidden"}}
	got, ok := jsonCopy(&v, nil)
	want, err := substituteTree(v, nil)
	if !ok || err != nil || !reflect.DeepEqual(got, want) || got.Exported.B != "" {
		t.Errorf("jsonCopy = %+v, %v; the round trip gives %+v, %v", got, ok, want, err)
	}
}
