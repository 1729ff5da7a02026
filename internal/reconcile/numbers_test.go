package reconcile

import (
	"encoding/json"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
)

// Argo keeps a loop item's bytes: {{item}} and the node name show a
// number as written, never as a float64 rounds it.
func TestExpandKeepsNumbersAsWritten(t *testing.T) {
	param := `[9007199254740993, 1234567890123456789, -0, 1.50, {"id": 9007199254740993}]`
	items := []wfv1.Item{{RawMessage: json.RawMessage(`12345678901234567890`)}, {RawMessage: json.RawMessage(`-0`)},
		{RawMessage: json.RawMessage(`{"k":-0,"n":9007199254740993}`)}}
	for _, tc := range []struct {
		name  string
		loop  loopSpec
		want  []string // suffixes
		items []string // {{item}}
	}{
		{"withParam", loopSpec{param: param},
			[]string{"(0:9007199254740993)", "(1:1234567890123456789)", "(2:-0)", "(3:1.50)", "(4:id:9007199254740993)"},
			[]string{"9007199254740993", "1234567890123456789", "-0", "1.50", `{"id":9007199254740993}`}},
		{"withItems", loopSpec{items: items},
			[]string{"(0:12345678901234567890)", "(1:-0)", "(2:k:-0,n:9007199254740993)"},
			[]string{"12345678901234567890", "-0", `{"k":-0,"n":9007199254740993}`}},
	} {
		got, err := expand(tc.loop, expr.Scope{}, 100)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %d items, want %d", tc.name, len(got), len(tc.want))
		}
		for i, it := range got {
			sc := it.scope()
			if it.suffix != tc.want[i] || sc["item"] != tc.items[i] {
				t.Errorf("%s item %d: suffix %s, {{item}} %s; want %s, %s", tc.name, i, it.suffix, sc["item"], tc.want[i], tc.items[i])
			}
		}
	}
	got, err := expand(loopSpec{param: param}, expr.Scope{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if v := got[4].scope()["item.id"]; v != "9007199254740993" {
		t.Errorf("{{item.id}} is %s, want 9007199254740993", v)
	}
}

// substitute's round trip through a generic tree (taken where a
// placeholder sits beside withItems or an integer past 15 digits) keeps
// integers exact.
func TestSubstituteKeepsBigIntegers(t *testing.T) {
	big := int64(9007199254740993)
	step := wfv1.WorkflowStep{Name: "s", Template: "{{inputs.parameters.a}}",
		WithItems: []wfv1.Item{{RawMessage: json.RawMessage(`9007199254740993`)}, {RawMessage: json.RawMessage(`-0`)}}}
	tmpl := wfv1.Template{Name: "t", Parallelism: &big, Steps: []wfv1.ParallelSteps{{step}}}
	scope := expr.Scope{"inputs.parameters.a": "x"}
	got, err := substitute(tmpl, scope)
	if err != nil {
		t.Fatal(err)
	}
	if got.Parallelism == nil || *got.Parallelism != big {
		t.Errorf("parallelism %v, want %d", got.Parallelism, big)
	}
	s := got.Steps[0][0]
	if s.Template != "x" || string(s.WithItems[0].RawMessage) != "9007199254740993" || string(s.WithItems[1].RawMessage) != "-0" {
		t.Errorf("step %s, withItems %s %s; want x, 9007199254740993 -0", s.Template, s.WithItems[0].RawMessage, s.WithItems[1].RawMessage)
	}
}

// An output that is JSON joins an aggregate as data, its integers exact.
func TestParseItemKeepsBigIntegers(t *testing.T) {
	b, _ := json.Marshal([]any{parseItem("9007199254740993"), parseItem(`{"n":1234567890123456789}`)})
	if string(b) != `[9007199254740993,{"n":1234567890123456789}]` {
		t.Errorf("aggregate %s", b)
	}
}
