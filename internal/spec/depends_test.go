package spec

import (
	"strings"
	"testing"
)

func TestParseDepends(t *testing.T) {
	ok := map[string]string{
		"A":                                "A",
		"A && B":                           "A B",
		"A && (C.Succeeded || C.Failed)":   "A C",
		"!A.Errored || B.AnySucceeded":     "A B",
		"should-execute-2.Succeeded || x":  "should-execute-2 x",
		"((a))":                            "a",
		"a.AllFailed && !(b || c.Omitted)": "a b c",
	}
	for in, tasks := range ok {
		e, err := ParseDepends(in)
		if err != nil {
			t.Errorf("ParseDepends(%q): %v", in, err)
			continue
		}
		if got := strings.Join(e.Tasks(), " "); got != tasks {
			t.Errorf("ParseDepends(%q) tasks = %q, want %q", in, got, tasks)
		}
	}
	bad := map[string]string{
		"":             "expected a task name",
		"A &&":         "expected a task name",
		"A.Succeded":   `did you mean "Succeeded"`,
		"(A || B":      "missing )",
		"A B":          "unexpected",
		"A & B":        "unexpected",
		"A.":           "unknown result",
		"A || || B":    "expected a task name",
		"$A":           "expected a task name",
		"A.Succeeded)": "unexpected",
	}
	for in, want := range bad {
		_, err := ParseDepends(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseDepends(%q) error = %v, want it to mention %q", in, err, want)
		}
	}
	if _, err := ParseDepends(strings.Repeat("(", 500) + "a" + strings.Repeat(")", 500)); err == nil {
		t.Error("deep nesting must be refused, not recursed into")
	}
}

func TestDependsStructure(t *testing.T) {
	e, err := ParseDepends("a && b || !c.Failed")
	if err != nil {
		t.Fatal(err)
	}
	if e.Op != "||" || len(e.Operands) != 2 || e.Operands[0].Op != "&&" || e.Operands[1].Op != "!" ||
		e.Operands[1].Operands[0].Result != "Failed" {
		t.Fatalf("&& must bind tighter than ||: %+v", e)
	}
}
