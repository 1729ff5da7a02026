package expr

import (
	"runtime"
	"strings"
	"testing"
)

// Every expression runs under a memory bound: the ones below would each
// allocate a gigabyte or more unbounded; they must fail fast with an
// error naming the expression and the limit, and the process must not
// grow by more than a few times the limit.
func TestExpressionMemoryIsBounded(t *testing.T) {
	scope := Scope{"item": "1"}
	cases := []string{
		`sprig.repeat(1000000000, "a")`,
		`len(sprig.repeat(300000000, 'a'))`,
		`repeat("a", 1000000) + repeat("b", 1000000) + repeat("c", 1000000) + repeat("d", 1000000) + repeat("e", 1000000)`,
		`repeat(repeat("a", 1000000), 1000)`,
		`reduce(1..40, #acc + #acc, "a")`,
		`len(sprig.until(1000000000))`,
		`len(sprig.untilStep(0, 1000000000, 1))`,
		`sprig.seq(1000000000)`,
		`sprig.indent(1000000000, "a")`,
		`sprig.nindent(1000000000, "a")`,
		`sprig.randAlpha(1000000000)`,
		`sprig.replace("a", sprig.repeat(1000000, "b"), sprig.repeat(10000, "a"))`,
		`replace(repeat("a", 100000), "a", repeat("b", 100000))`,
		`len(map(1..500000, sprig.repeat(1000, "x")))`,
		`join(map(1..900000, repeat("x", 1000)), "")`,
		`len(toJSON(map(1..900000, repeat("x", 1000))))`,
		`sprig.regexReplaceAll("a", sprig.repeat(100000, "a"), sprig.repeat(100000, "b"))`,
	}
	for _, code := range cases {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := Eval(code, scope)
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Errorf("Eval(%s): no error, want a memory limit error", code)
			continue
		}
		if !strings.Contains(err.Error(), "limit") || !strings.Contains(err.Error(), code[:min(len(code), 6)]) {
			t.Errorf("Eval(%s): error %q does not name the expression and the limit", code, err)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 8*MaxEvalBytes {
			t.Errorf("Eval(%s) allocated %d MiB, want at most %d MiB", code, grew>>20, 8*MaxEvalBytes>>20)
		}
	}
}

// The bound keeps ordinary expressions working, and results up to the
// value limit pass.
func TestExpressionBoundKeepsOrdinaryResults(t *testing.T) {
	scope := Scope{"inputs.parameters.s": strings.Repeat("z", 200000), "item": "3"}
	cases := []struct{ code, want string }{
		{`len(sprig.repeat(100000, "a"))`, "100000"},
		{`len(repeat("ab", 1000))`, "2000"},
		{`"a" + "b"`, "ab"},
		{`1 + 2`, "3"},
		{`1.5 + 2`, "3.5"},
		{`len(inputs.parameters.s + inputs.parameters.s)`, "400000"},
		{`sprig.until(3)`, "[0,1,2]"},
		{`sprig.replace("a", "bb", "aXa")`, "bbXbb"},
		{`join(["a", "b"], "-")`, "a-b"},
		{`toJSON({"a": 1})`, "{\n  \"a\": 1\n}"},
		{`string(12)`, "12"},
		{`string([1, 2])`, "[1 2]"},
		{`sprig.indent(2, "a")`, "  a"},
		{`sprig.regexReplaceAll("a(x)", "axbax", "${1}Y")`, "xYbxY"},
		{`len(sprig.seq(3))`, "5"},
		{`concat([1], [2])`, "[1,2]"},
		{`asInt(item) * 2`, "6"},
	}
	for _, c := range cases {
		got, err := Eval(c.code, scope)
		if err != nil || got != c.want {
			t.Errorf("Eval(%s) = %q, %v; want %q", c.code, got, err, c.want)
		}
	}
}

// A substituted string is capped too: `{{x}}` repeated many times over a
// big value must not build an unbounded string.
func TestReplaceOutputIsBounded(t *testing.T) {
	scope := Scope{"big": strings.Repeat("b", 1<<20)}
	s := strings.Repeat("{{big}}", 64)
	_, err := Replace(s, scope, false)
	if err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("Replace of 64 MiB: err %v, want a size limit error", err)
	}
	if _, err := Replace("{{big}}{{big}}", scope, false); err != nil {
		t.Fatalf("Replace of 2 MiB: %v", err)
	}
}
