package expr

import (
	"errors"
	"testing"
)

func TestReplace(t *testing.T) {
	scope := Scope{
		"inputs.parameters.msg":        "hello",
		"inputs.parameters.week-temps": `{"avg":30}`,
		"workflow.parameters.config":   `{"employees":[{"name":"Baris","age":43},{"name":"Ana","age":30}]}`,
		"item":                         "3",
	}
	cases := []struct{ in, want string }{
		{"say {{inputs.parameters.msg}}!", "say hello!"},
		{"{{ inputs.parameters.msg }}", "hello"},
		{"{{unknown}} stays", "{{unknown}} stays"},
		{"{{=asInt(item) * 2}}", "6"},
		{"{{=jsonpath(inputs.parameters['week-temps'], '$.avg')}}", "30"},
		{`{{=jsonpath(workflow.parameters.config, '$.employees[?(@.name=="Baris")].age')}}`, "[43]"},
		{"{{=sprig.upper(inputs.parameters.msg)}}", "HELLO"},
		{"{{=toJson({a: 1})}}", `{"a":1}`},
		{"{{=map([1,2], {# * 10})[1]}}", "20"},
		{"no tags", "no tags"},
		{"open {{ never closed", "open {{ never closed"},
	}
	for _, c := range cases {
		got, err := Replace(c.in, scope, false)
		if err != nil || got != c.want {
			t.Errorf("Replace(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	_, err := Replace("{{missing.thing}}", scope, true)
	var u *Unresolved
	if !errors.As(err, &u) || u.Tag != "missing.thing" {
		t.Errorf("strict: got %v, want Unresolved missing.thing", err)
	}
	if _, err := Replace("{{=nosuch(}}", scope, false); err == nil {
		t.Error("bad expression accepted")
	}
}

func TestWhen(t *testing.T) {
	cases := []struct {
		in   string
		want bool
		err  bool
	}{
		{"heads == heads", true, false},
		{"tails == heads", false, false},
		{"5 < 3", false, false},
		{"10 < 3 || 2 > 1", true, false},
		{"heads =~ hea", true, false},
		{"tails =~ hea", false, false},
		{"Succeeded != Succeeded", false, false},
		{"3 != 1 && 3 != 2", true, false},
		{"true", true, false},
		{"false", false, false},
		{"", true, false},
		{"a b == c", false, true},
		{"hello", false, true},
	}
	for _, c := range cases {
		got, err := When(c.in)
		if (err != nil) != c.err || (err == nil && got != c.want) {
			t.Errorf("When(%q) = %v, %v; want %v (error %v)", c.in, got, err, c.want, c.err)
		}
	}
}

func TestTags(t *testing.T) {
	got := Tags("a {{x.y}} b {{=z}} {{ item }}")
	if len(got) != 2 || got[0] != "x.y" || got[1] != "item" {
		t.Fatalf("Tags = %v", got)
	}
}

func FuzzReplace(f *testing.F) {
	f.Add("{{=asInt(item) + 1}} {{item}}")
	f.Add("{{= sprig.trim(' x ') }}")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Replace(s, Scope{"item": "1"}, false)
		_, _ = When(s)
	})
}
