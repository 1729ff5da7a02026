package reconcile

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
	"github.com/semaflow/semaflow/internal/jsoncopy"
	"pgregory.net/rapid"
)

// substituteTree is substitute as it was before its shortcut: always
// the full round trip through a generic tree. The property tests hold
// substitute to it.
func substituteTree[T any](v T, scope expr.Scope) (T, error) {
	var out T
	raw, err := json.Marshal(v)
	if err != nil {
		return out, err
	}
	var tree any
	if err := jsoncopy.UnmarshalNumbers(raw, &tree); err != nil {
		return out, err
	}
	var orig any
	_ = jsoncopy.UnmarshalNumbers(raw, &orig)
	tree, err = replaceTree(tree, scope)
	if err != nil {
		if aerr := firstAbsent(orig, scope); aerr != nil {
			return out, aerr
		}
		return out, err
	}
	raw, err = json.Marshal(tree)
	if err != nil {
		return out, err
	}
	err = json.Unmarshal(raw, &out)
	return out, err
}

// genText draws a string a manifest might hold: plain text, text the
// JSON encoder escapes, or a placeholder that resolves, stays verbatim,
// fails, or names an absent optional.
func genText(t *rapid.T, label string) string {
	return rapid.SampledFrom([]string{
		"", "true", "echo hi", "a<b>&c", "line\nbreak \"q\"", "\u2028", "12345678901234567890",
		"{{inputs.parameters.a}}", "x-{{inputs.parameters.a}}-y", "{{ inputs.parameters.b }}",
		"{{inputs.parameters.missing}}", "{{workflow.name}}", "{{unknown.thing}}", "{{item}}",
		"{{tasks.gone.outputs.result}}", "{{steps.gone.outputs.parameters.p}}", "{{tasks.ok.outputs.result}}",
		"{{=1+1}}", "{{= inputs.parameters.a }}", "{{", "}}{{", "{{}}",
	}).Draw(t, label)
}

// genNumber draws a JSON number, some beyond what a float64 holds
// exactly.
func genNumber(t *rapid.T, label string) string {
	return rapid.SampledFrom([]string{
		"0", "7", "-3", "1.50", "1e3", "0.1", "123456789012345", "9007199254740993",
		"9223372036854775807", "12345678901234567",
	}).Draw(t, label)
}

// genValue draws an arbitrary JSON value as text, keys in drawn order.
func genValue(t *rapid.T, depth int, label string) string {
	kind := rapid.IntRange(0, 5).Draw(t, label+"-kind")
	if depth > 2 && kind >= 4 {
		kind = 0
	}
	switch kind {
	case 0:
		return quote(genText(t, label+"-s"))
	case 1:
		return genNumber(t, label+"-n")
	case 2:
		return rapid.SampledFrom([]string{"true", "false", "null"}).Draw(t, label+"-b")
	case 3:
		return `"\u0041\u007b{x}"`
	case 4:
		n := rapid.IntRange(0, 3).Draw(t, label+"-len")
		parts := make([]string, n)
		for i := range parts {
			parts[i] = genValue(t, depth+1, fmt.Sprintf("%s-%d", label, i))
		}
		return "[" + strings.Join(parts, ",") + "]"
	default:
		n := rapid.IntRange(0, 3).Draw(t, label+"-len")
		parts := make([]string, n)
		for i := range parts {
			key := rapid.SampledFrom([]string{"z", "a", "m", "a", "{{item}}"}).Draw(t, fmt.Sprintf("%s-k%d", label, i))
			parts[i] = quote(key) + ":" + genValue(t, depth+1, fmt.Sprintf("%s-%d", label, i))
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// genTemplateJSON draws a template as manifest JSON: a container or a
// steps or DAG template, with inputs, numbers and free-form objects.
func genTemplateJSON(t *rapid.T) string {
	var f []string
	add := func(k, v string) { f = append(f, quote(k)+":"+v) }
	add("name", quote(genText(t, "name")))
	if rapid.Bool().Draw(t, "hasInputs") {
		n := rapid.IntRange(0, 3).Draw(t, "inputs")
		ps := make([]string, n)
		for i := range ps {
			ps[i] = fmt.Sprintf(`{"name":%s,"value":%s}`, quote(genText(t, fmt.Sprintf("in%d", i))), genValue(t, 2, fmt.Sprintf("inv%d", i)))
		}
		add("inputs", `{"parameters":[`+strings.Join(ps, ",")+`]}`)
	}
	switch rapid.IntRange(0, 2).Draw(t, "type") {
	case 0:
		n := rapid.IntRange(0, 3).Draw(t, "args")
		args := make([]string, n)
		for i := range args {
			args[i] = quote(genText(t, fmt.Sprintf("arg%d", i)))
		}
		add("container", fmt.Sprintf(`{"image":%s,"command":["sh","-c"],"args":[%s],"env":[{"name":"E","value":%s}]}`,
			quote(genText(t, "image")), strings.Join(args, ","), quote(genText(t, "env"))))
	case 1:
		add("steps", fmt.Sprintf(`[[{"name":"s","template":%s,"withItems":[%s,%s]}]]`,
			quote(genText(t, "stmpl")), genValue(t, 0, "item0"), genValue(t, 0, "item1")))
	default:
		add("dag", fmt.Sprintf(`{"tasks":[{"name":"t","template":"x","arguments":{"parameters":[{"name":"a","value":%s}]},"when":%s}]}`,
			genValue(t, 2, "targ"), quote(genText(t, "when"))))
	}
	if rapid.Bool().Draw(t, "hasParallelism") {
		add("parallelism", rapid.SampledFrom([]string{"2", "123456789012345", "9007199254740993", "9223372036854775807"}).Draw(t, "parallelism"))
	}
	if rapid.Bool().Draw(t, "hasDeadline") {
		add("activeDeadlineSeconds", rapid.SampledFrom([]string{"30", `"30"`, `"{{inputs.parameters.a}}"`, "12345678901234567"}).Draw(t, "deadline"))
	}
	if rapid.Bool().Draw(t, "hasSecurityContext") {
		add("securityContext", genValue(t, 0, "sc"))
	}
	if rapid.Bool().Draw(t, "hasNodeSelector") {
		add("nodeSelector", fmt.Sprintf(`{"b":%s,"a":%s}`, quote(genText(t, "ns0")), quote(genText(t, "ns1"))))
	}
	return "{" + strings.Join(f, ",") + "}"
}

// genScope draws a scope: some inputs bound, a skipped producer (whose
// outputs are absent optionals) and a succeeded one.
func genScope(t *rapid.T) expr.Scope {
	s := expr.Scope{"workflow.name": "wf", "tasks.gone.status": wfv1.PhaseSkipped, "steps.gone.status": wfv1.PhaseOmitted,
		"tasks.ok.status": wfv1.PhaseSucceeded}
	if rapid.Bool().Draw(t, "bindA") {
		s["inputs.parameters.a"] = genText(t, "a")
	}
	if rapid.Bool().Draw(t, "bindB") {
		s["inputs.parameters.b"] = "b\"\n"
	}
	if rapid.Bool().Draw(t, "bindItem") {
		s["item"] = `{"k":1}`
	}
	if rapid.Bool().Draw(t, "bindResult") {
		s["tasks.ok.outputs.result"] = "done"
	}
	return s
}

// sameResult fails unless both substitutions give equal values and
// errors that could be the same: replaceTree visits a map's strings in
// Go's random order, so with two unresolved placeholders the full round
// trip itself names either; any string's own error is accepted then.
func sameResult[T any](t *rapid.T, v, got, want T, gotErr, wantErr error, scope expr.Scope) {
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("error %v, the full round trip gives %v", gotErr, wantErr)
	}
	if gotErr != nil && gotErr.Error() != wantErr.Error() && !possibleErrors(t, v, scope)[gotErr.Error()] {
		t.Fatalf("error %v, the full round trip gives %v", gotErr, wantErr)
	}
	if gotErr == nil && !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Fatalf("got %s\nthe full round trip gives %s", g, w)
	}
}

// possibleErrors is every error one of v's strings gives alone.
func possibleErrors(t *rapid.T, v any, scope expr.Scope) map[string]bool {
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case string:
			if _, err := replaceTree(x, scope); err != nil {
				out[err.Error()] = true
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(tree)
	return out
}

// TestSubstituteMatchesRoundTrip holds substitute, shortcut included,
// to the full round trip on drawn templates, arguments and scopes.
func TestSubstituteMatchesRoundTrip(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		src := genTemplateJSON(rt)
		var tmpl wfv1.Template
		if err := json.Unmarshal([]byte(src), &tmpl); err != nil {
			rt.Skipf("drawn template does not decode: %v", err)
		}
		before, _ := json.Marshal(tmpl)
		scope := genScope(rt)
		got, gotErr := substitute(tmpl, scope)
		want, wantErr := substituteTree(tmpl, scope)
		sameResult(rt, tmpl, got, want, gotErr, wantErr, scope)

		args := wfv1.Arguments{Parameters: tmpl.Inputs.Parameters}
		gotArgs, gotErr := substitute(args, scope)
		wantArgs, wantErr := substituteTree(args, scope)
		sameResult(rt, args, gotArgs, wantArgs, gotErr, wantErr, scope)

		// The copy must not share maps or slices with the template.
		if gotErr == nil {
			for i := range gotArgs.Parameters {
				gotArgs.Parameters[i].Name = "changed"
			}
		}
		for k := range got.NodeSelector {
			got.NodeSelector[k] = "changed"
		}
		if got.Container != nil && len(got.Container.Args) > 0 {
			got.Container.Args[0] = "changed"
		}
		for k := range got.SecurityContext {
			got.SecurityContext[k] = "changed"
		}
		if after, _ := json.Marshal(tmpl); string(after) != string(before) {
			rt.Fatalf("substitute changed its input:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// TestTreeInvariant pins the cases the shortcut must leave to the full
// round trip.
func TestTreeInvariant(t *testing.T) {
	for raw, want := range map[string]bool{
		`{"name":"a","container":{"image":"x","command":["true"]}}`: true,
		`{"parallelism":123456789012345}`:                           true,
		`{"parallelism":1234567890123456}`:                          false,
		`{"name":"{{inputs.parameters.a}}"}`:                        false,
		`{"steps":[[{"name":"s","withItems":[1]}]]}`:                false,
		`{}`: true,
	} {
		if got := treeInvariant([]byte(raw)); got != want {
			t.Errorf("treeInvariant(%s) = %v, want %v", raw, got, want)
		}
	}
}

// BenchmarkSubstitute times one substitution of a container template
// with nothing to replace, one with placeholders, and empty arguments,
// by substitute ("new") and the full round trip ("tree").
func BenchmarkSubstitute(b *testing.B) {
	plain := wfv1.Template{Name: "noop", Container: &wfv1.Container{Image: "x", Command: []string{"true"}}}
	withVars := wfv1.Template{Name: "echo", Inputs: wfv1.Inputs{Parameters: []wfv1.Parameter{{Name: "a"}}},
		Container: &wfv1.Container{Image: "x", Command: []string{"echo", "{{inputs.parameters.a}}"}}}
	scope := expr.Scope{"inputs.parameters.a": "hello", "workflow.name": "wf"}
	for _, impl := range []string{"tree", "new"} {
		tmplFn, argsFn := substitute[wfv1.Template], substitute[wfv1.Arguments]
		if impl == "tree" {
			tmplFn, argsFn = substituteTree[wfv1.Template], substituteTree[wfv1.Arguments]
		}
		for name, tmpl := range map[string]wfv1.Template{"plain": plain, "placeholders": withVars} {
			b.Run(name+"/"+impl, func(b *testing.B) {
				for b.Loop() {
					if _, err := tmplFn(tmpl, scope); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run("emptyArgs/"+impl, func(b *testing.B) {
			for b.Loop() {
				if _, err := argsFn(wfv1.Arguments{}, scope); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestSubstituteArgsShortcut holds substituteArgs to substitute, and
// fails when Arguments gains a field the shortcut does not look at.
func TestSubstituteArgsShortcut(t *testing.T) {
	if n := reflect.TypeFor[wfv1.Arguments]().NumField(); n != 2 {
		t.Fatalf("wfv1.Arguments has %d fields; substituteArgs's shortcut knows 2", n)
	}
	v := wfv1.AnyString("{{inputs.parameters.a}}")
	scope := expr.Scope{"inputs.parameters.a": "x"}
	for _, args := range []wfv1.Arguments{
		{}, {Parameters: []wfv1.Parameter{}}, {Artifacts: []wfv1.Artifact{}},
		{Parameters: []wfv1.Parameter{{Name: "p", Value: &v}}},
		{Artifacts: []wfv1.Artifact{{Name: "a", From: "{{inputs.parameters.a}}"}}},
	} {
		got, gotErr := substituteArgs(args, scope)
		want, wantErr := substituteTree(args, scope)
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
			t.Errorf("substituteArgs(%+v) = %+v, %v; the full round trip gives %+v, %v", args, got, gotErr, want, wantErr)
		}
	}
}

// TestWholeJSONNil holds wholeJSON's nil shortcut to json.Marshal.
func TestWholeJSONNil(t *testing.T) {
	for _, c := range []struct {
		v     any
		isNil bool
	}{
		{[]wfv1.Parameter(nil), true}, {[]wfv1.Parameter{}, false}, {map[string]string(nil), true},
		{map[string]string{}, false}, {map[string]string{"b": "<", "a": "1"}, false},
	} {
		got, want := expr.Scope{}, expr.Scope{}
		wholeJSON(got, "x", c.v, c.isNil)
		b, err := json.Marshal(c.v)
		if err != nil {
			t.Fatal(err)
		}
		want["x"], want["x.json"] = string(b), string(b)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("wholeJSON(%#v) = %v, json.Marshal gives %v", c.v, got, want)
		}
	}
}
