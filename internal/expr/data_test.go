package expr

import (
	"strings"
	"testing"
)

// A data template's transformations run in order, each seeing the value
// the one before gave as `data`, as Argo's executor runs them; the
// node's result is the last value as JSON.
func TestDataTransform(t *testing.T) {
	files := []string{"logs/a/main.log", "logs/b/other.txt", "logs/c/main.log"}
	for _, c := range []struct {
		name  string
		steps []string
		want  string
	}{
		{"no transformation: the source", nil, `["logs/a/main.log","logs/b/other.txt","logs/c/main.log"]`},
		{"filter", []string{`filter(data, {# endsWith "main.log"})`}, `["logs/a/main.log","logs/c/main.log"]`},
		{"filter then map", []string{`filter(data, {# endsWith "main.log"})`, `map(data, {# + ".gz"})`},
			`["logs/a/main.log.gz","logs/c/main.log.gz"]`},
		{"to a number", []string{`len(data)`}, `3`},
		{"to a map", []string{`{"n": len(data), "first": data[0]}`}, `{"first":"logs/a/main.log","n":3}`},
		{"sprig", []string{`map(data, sprig.upper(#))`, `data[1]`}, `"LOGS/B/OTHER.TXT"`},
		{"nothing left", []string{`filter(data, {# endsWith ".csv"})`}, `[]`},
	} {
		got, err := DataTransform(files, c.steps)
		if err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}

// A failing transformation names its place and expression; an empty
// one is refused; too many are refused before any runs.
func TestDataTransformErrors(t *testing.T) {
	files := []string{"a"}
	for _, c := range []struct {
		steps []string
		want  string
	}{
		{[]string{`data`, `nosuch(data)`}, `transformation 2`},
		{[]string{`data`, `nosuch(data)`}, `nosuch(data)`},
		{[]string{"  "}, "transformation 1 has no expression"},
		{[]string{`sprig.repeat(100000000, "a")`}, "memory limit"},
		{make([]string, MaxDataTransformations+1), "at most"},
	} {
		_, err := DataTransform(files, c.steps)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("DataTransform(%q): %v, want an error saying %q", c.steps, err, c.want)
		}
	}
}
