package jsoncopy

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Drawn values come from small pools that hold what JSON treats
// specially: text that is not UTF-8 or that HTML escaping touches,
// integers past a float64's, floats JSON cannot write, empty against
// nil, times in zones and with a monotonic reading.
var (
	poolStrings = []string{"", "a", "a<b>&c", "\xff\xfe", "ünï\u2028", "line\n\"q\"", "{{x}}", "A"}
	poolInts    = []int64{0, 1, -7, 9007199254740993, math.MaxInt64, math.MinInt64}
	poolFloats  = []float64{0, 1.5, math.Copysign(0, -1), 1e21, 0.1, 1e-7, math.NaN(), math.Inf(1)}
	poolItems   = []string{"1", `"a"`, `{"b":1,"a":2}`, "", "1.50", " [1, 2] "}
	poolTimes   = []time.Time{{}, time.Date(2026, 12, 5, 11, 0, 0, 123, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600)), time.Now(), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
)

// drawInto fills v, a settable zero value, with a drawn value of its
// type; past depth 3 pointers, lists and maps stay nil so recursive
// types end.
func drawInto(rt *rapid.T, v reflect.Value, depth int) {
	t := v.Type()
	switch t {
	case reflect.TypeFor[wfv1.IntOrString]():
		v.Set(reflect.ValueOf(wfv1.IntOrString{IsString: rapid.Bool().Draw(rt, "isString"),
			IntVal: rapid.SampledFrom(poolInts).Draw(rt, "intVal"), StrVal: rapid.SampledFrom(poolStrings).Draw(rt, "strVal")}))
		return
	case reflect.TypeFor[wfv1.Item]():
		if raw := rapid.SampledFrom(poolItems).Draw(rt, "item"); raw != "" {
			v.Set(reflect.ValueOf(wfv1.Item{RawMessage: json.RawMessage(raw)}))
		}
		return
	case timeType:
		v.Set(reflect.ValueOf(rapid.SampledFrom(poolTimes).Draw(rt, "time")))
		return
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString(rapid.SampledFrom(poolStrings).Draw(rt, "string"))
	case reflect.Bool:
		v.SetBool(rapid.Bool().Draw(rt, "bool"))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n := rapid.SampledFrom(poolInts).Draw(rt, "int")
		if v.OverflowInt(n) {
			n = -3
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(rapid.SampledFrom([]uint64{0, 9, math.MaxUint64}).Draw(rt, "uint") & (1<<(8*t.Size()) - 1))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(rapid.SampledFrom(poolFloats).Draw(rt, "float"))
	case reflect.Pointer:
		if depth < 3 && rapid.IntRange(0, 2).Draw(rt, "ptr") > 0 {
			p := reflect.New(t.Elem())
			drawInto(rt, p.Elem(), depth+1)
			v.Set(p)
		}
	case reflect.Struct:
		for i := range t.NumField() {
			if f := v.Field(i); f.CanSet() && (depth < 3 || rapid.Bool().Draw(rt, "field")) {
				drawInto(rt, f, depth+1)
			}
		}
	case reflect.Slice:
		if n := rapid.IntRange(-1, 2).Draw(rt, "len"); n >= 0 && depth < 3 {
			s := reflect.MakeSlice(t, n, n)
			for i := range n {
				drawInto(rt, s.Index(i), depth+1)
			}
			v.Set(s)
		}
	case reflect.Map:
		if n := rapid.IntRange(-1, 2).Draw(rt, "len"); n >= 0 && depth < 3 {
			m := reflect.MakeMap(t)
			for range n {
				e := reflect.New(t.Elem()).Elem()
				drawInto(rt, e, depth+1)
				k := reflect.New(t.Key()).Elem()
				drawInto(rt, k, 3)
				m.SetMapIndex(k, e)
			}
			v.Set(m)
		}
	case reflect.Interface:
		if depth < 3 {
			a := rapid.SampledFrom([]any{nil, "s", "\xff", 1.5, math.NaN(), 7, true, []any{}, []any(nil),
				map[string]any{"a": []any{1.0, nil}}, map[string]any{}, []int{1}}).Draw(rt, "any")
			if a != nil {
				v.Set(reflect.ValueOf(a))
			}
		}
	}
}

// roundTrip is what Copy stands in for.
func roundTrip[T any](v *T) (T, error) {
	var out T
	b, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(b, &out)
	}
	return out, err
}

// fataler is what checkCopy needs of a *testing.T or *rapid.T.
type fataler interface {
	Fatalf(format string, args ...any)
}

// checkCopy holds Copy of v to the round trip: the same value, nil where
// it is nil, the same bytes again, the same failure, nothing shared.
func checkCopy[T any](t fataler, v *T, stats *[2]int) {
	got, gotErr := Copy(v)
	want, wantErr := roundTrip(v)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("Copy's error %v, the round trip's %v", gotErr, wantErr)
	}
	if gotErr != nil {
		stats[1]++
		return
	}
	stats[0]++
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(&got)
		w, _ := json.Marshal(&want)
		t.Fatalf("Copy gives %s\n(%#v)\nthe round trip gives %s\n(%#v)", g, got, w, want)
	}
	g, _ := json.Marshal(&got)
	w, _ := json.Marshal(&want)
	if string(g) != string(w) {
		t.Fatalf("Copy encodes as %s, the round trip as %s", g, w)
	}
	if Shares(&got, v) {
		t.Fatalf("Copy's result shares memory with its input")
	}
}

// Types whose round trip has rules of their own.
type (
	ptrMarshaler struct{ N int }
	nullItem     struct{ P *wfv1.Item }
	Inner        struct{ A, B string }
	shadowing    struct {
		B string
		Inner
		hidden string
	}
	oddShapes struct {
		Bytes   []byte                  `json:"bytes,omitempty"`
		Arr     [2]string               `json:"arr"`
		IntKeys map[int]string          `json:"intKeys"`
		PSlice  *[]string               `json:"pSlice"`
		PMap    *map[string]int         `json:"pMap,omitempty"`
		F32     float32                 `json:"f32"`
		Shadow  shadowing               `json:"shadow"`
		Ptrs    []*ptrMarshaler         `json:"ptrs"`
		Vals    []ptrMarshaler          `json:"vals"`
		ByKey   map[string]ptrMarshaler `json:"byKey"`
		Raw     json.RawMessage         `json:"raw,omitempty"`
		Any     any                     `json:"any,omitempty"`
		Items   nullItem                `json:"items"`
		Omitted ptrMarshaler            `json:"-"`
		Text    wfv1.AnyString          `json:"text,omitempty"`
	}
)

// MarshalJSON on the pointer: JSON calls it only where the value has an
// address (not in a map).
func (p *ptrMarshaler) MarshalJSON() ([]byte, error) { return json.Marshal(p.N + 100) }

// TestCopyMatchesRoundTrip draws whole workflows (every field of every
// type in them) and values of shapes JSON treats specially, and holds
// Copy to the round trip it stands in for.
func TestCopyMatchesRoundTrip(t *testing.T) {
	var stats [3][2]int
	defer func() {
		t.Logf("compared / failing as the round trip: workflows %v, templates %v, odd shapes %v", stats[0], stats[1], stats[2])
	}()
	t.Run("Workflow", func(t *testing.T) {
		rapid.Check(t, func(rt *rapid.T) {
			var v wfv1.Workflow
			drawInto(rt, reflect.ValueOf(&v).Elem(), 0)
			checkCopy(rt, &v, &stats[0])
		})
	})
	t.Run("Template", func(t *testing.T) {
		rapid.Check(t, func(rt *rapid.T) {
			var v wfv1.Template
			drawInto(rt, reflect.ValueOf(&v).Elem(), 0)
			checkCopy(rt, &v, &stats[1])
		})
	})
	t.Run("oddShapes", func(t *testing.T) {
		rapid.Check(t, func(rt *rapid.T) {
			var v oddShapes
			drawInto(rt, reflect.ValueOf(&v).Elem(), 0)
			checkCopy(rt, &v, &stats[2])
		})
	})
}

// TestCopyEmptiesBecomeNil pins the case that made Copy: empty lists and
// maps under omitempty come back nil, as a workflow read back from the
// store has them.
func TestCopyEmptiesBecomeNil(t *testing.T) {
	wf := wfv1.Workflow{Metadata: wfv1.ObjectMeta{Annotations: map[string]string{}}}
	wf.Spec.Arguments.Parameters = []wfv1.Parameter{}
	got, err := Copy(&wf)
	if err != nil || got.Spec.Arguments.Parameters != nil || got.Metadata.Annotations != nil {
		t.Fatalf("Copy = %+v, %v: want nil parameters and annotations", got, err)
	}
}

// TestCopyDropsWhatJSONDrops: an unexported field, and a field an outer
// one of the same name hides.
func TestCopyDropsWhatJSONDrops(t *testing.T) {
	got, err := Copy(&shadowing{B: "b", Inner: Inner{A: "a", B: "hidden"}, hidden: "x"})
	if err != nil || got != (shadowing{B: "b", Inner: Inner{A: "a"}}) {
		t.Fatalf("Copy = %+v, %v", got, err)
	}
}

// TestCopyFailsAsTheRoundTrip: what JSON cannot write is an error.
func TestCopyFailsAsTheRoundTrip(t *testing.T) {
	v := oddShapes{Any: map[string]any{"x": math.Inf(-1)}}
	if _, err := Copy(&v); err == nil {
		t.Fatal("Copy wrote an infinity")
	}
	var ue *json.UnsupportedValueError
	if _, err := Copy(&oddShapes{F32: float32(math.NaN())}); !errors.As(err, &ue) {
		t.Fatalf("Copy of NaN: %v, want the encoder's error", err)
	}
}

// TestReplaceMatchesTreeRoundTrip holds Replace to the trip through a
// generic tree with text applied to every string, on workflows.
func TestReplaceMatchesTreeRoundTrip(t *testing.T) {
	text := func(s string) (string, bool) {
		if strings.Contains(s, "{{x}}") {
			return strings.ReplaceAll(s, "{{x}}", "<X>\n"), true
		}
		return s, s != "A" // "A" stands for a placeholder that fails
	}
	rapid.Check(t, func(rt *rapid.T) {
		var v wfv1.Template
		drawInto(rt, reflect.ValueOf(&v).Elem(), 0)
		got, ok := Replace(&v, text)
		if !ok {
			return
		}
		want, err := treeTrip(&v, text)
		if err != nil {
			rt.Fatalf("Replace copied what the round trip rejects: %v", err)
		}
		if !reflect.DeepEqual(got, want) {
			g, _ := json.Marshal(&got)
			w, _ := json.Marshal(&want)
			rt.Fatalf("Replace gives %s, the round trip %s", g, w)
		}
	})
}

// treeTrip is what Replace stands in for.
func treeTrip[T any](v *T, text func(string) (string, bool)) (T, error) {
	var out T
	b, err := json.Marshal(v)
	if err != nil {
		return out, err
	}
	var tree any
	if err := UnmarshalNumbers(b, &tree); err != nil {
		return out, err
	}
	var bad bool
	var walk func(any) any
	walk = func(x any) any {
		switch x := x.(type) {
		case string:
			r, ok := text(x)
			bad = bad || !ok
			return r
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		case map[string]any:
			for k := range x {
				x[k] = walk(x[k])
			}
		}
		return x
	}
	tree = walk(tree)
	if bad {
		return out, errors.New("a placeholder failed")
	}
	if b, err = json.Marshal(tree); err != nil {
		return out, err
	}
	err = json.Unmarshal(b, &out)
	return out, err
}

// FuzzCopy decodes a workflow and holds Copy to the round trip on it.
func FuzzCopy(f *testing.F) {
	f.Add(`{"metadata":{"annotations":{},"creationTimestamp":"2026-12-05T11:00:00.5+01:00"},"spec":{"arguments":{"parameters":[]},"templates":[]}}`)
	f.Add(`{"spec":{"templates":[{"name":"a","steps":[[{"name":"s","withItems":[{"b":1,"a":2},null,"x"]}]],"retryStrategy":{"limit":"{{x}}"},"securityContext":{"runAsUser":1e400}}]}}`)
	f.Add(`{"status":{"nodes":{"n":{"id":"n","outputs":{"parameters":[{"name":"p","value":5}]}}}},"spec":{"parallelism":9007199254740993}}`)
	f.Fuzz(func(t *testing.T, src string) {
		var wf wfv1.Workflow
		if json.Unmarshal([]byte(src), &wf) != nil {
			return
		}
		checkCopy(t, &wf, new([2]int))
	})
}
