package server

import (
	"strings"
	"testing"
)

func TestCheckBody(t *testing.T) {
	for body, want := range map[string]string{
		`{"a": 1, "b": {"a": 2}, "c": [{"a": 1}, {"a": 2}]}`: "",
		`{"a": 1, "a": 2}`:                          `duplicate key "a" in the top level`,
		`{"w": {"m": {"n": 1, "n": 2}}}`:            `duplicate key "n" in w.m`,
		`{"c": [{"a": 1}, {"b": [], "b": {}}]}`:     `duplicate key "b" in c[1]`,
		`[{"x": 1}, {"x": 1, "y": [1, 2], "x": 3}]`: `duplicate key "x" in [1]`,
		`{"a": "` + "\xc3\x28" + `"}`:               "not valid UTF-8 (byte 7)",
		`{"a": 1,`:                                  "", // a syntax error is the decoder's to report
		"apiVersion: v1\nk: 1\nk: 2\n":              "", // YAML: spec.Parse reports it
		"":                                          "",
		strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth):                           "",
		strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1):                       "depth limit of 512",
		`{"a": [{"b": ` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}]}`: "(in a[0].b[0][0]",
	} {
		err := checkBody([]byte(body))
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", body, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
}
