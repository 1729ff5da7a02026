package spec

import (
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Literal withSequence bounds at the ends of int64, a negative count, a
// number that is not one and a format that prints no number are refused
// by lint at the field, not wrapped into a small or negative size.
func TestLintRefusesExtremeSequences(t *testing.T) {
	base := "spec.templates[0].steps[0][0].withSequence"
	cases := []struct{ name, seq, path, msg string }{
		{"0 to max int64", `{start: "0", end: "9223372036854775807"}`, base, "max-loop-items"},
		{"min to max int64", `{start: "-9223372036854775808", end: "9223372036854775807"}`, base, "max-loop-items"},
		{"max to min int64", `{start: "9223372036854775807", end: "-9223372036854775808"}`, base, "max-loop-items"},
		{"count past the end of int64", `{start: "9223372036854775807", count: "2"}`, base + ".count", "int64"},
		{"negative count", `{count: "-3"}`, base + ".count", "negative"},
		{"end not a number", `{end: "ten"}`, base + ".end", "not an integer"},
		{"end past int64", `{end: "9223372036854775808"}`, base + ".end", "not an integer"},
		{"format without a verb", `{end: "3", format: "item"}`, base + ".format", "format"},
		{"format too wide", `{end: "3", format: "%0999999d"}`, base + ".format", "format"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ds := lintString(t, wfHeader+`spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: many, template: echo, withSequence: `+c.seq+`}
  - {name: echo, container: {image: a, command: ["true"]}}
`)
			ok := false
			for _, d := range ds {
				if d.Severity == SeverityError && d.Path == c.path && strings.Contains(d.Message, c.msg) {
					ok = true
				}
			}
			if !ok {
				t.Fatalf("want an error at %s mentioning %q; got:\n%v", c.path, c.msg, ds)
			}
		})
	}
	// Counting down, templated bounds and Argo's own formats are fine.
	for _, seq := range []string{`{start: "10", end: "1"}`, `{start: "{{workflow.parameters.n}}", end: "9223372036854775807"}`,
		`{start: "1", end: "5", format: "2020-05-%02X"}`, `{count: "3", format: "%d"}`, `{count: "0"}`} {
		ds := lintString(t, wfHeader+`spec:
  entrypoint: main
  arguments: {parameters: [{name: n, value: "1"}]}
  templates:
  - name: main
    steps:
    - - {name: many, template: echo, withSequence: `+seq+`}
  - {name: echo, container: {image: a, command: ["true"]}}
`)
		for _, d := range ds {
			if d.Severity == SeverityError {
				t.Errorf("%s: unexpected error %s", seq, d)
			}
		}
	}
}

// SequenceSize never wraps: a size past int64 is not reported as a small
// or negative one.
func TestSequenceSizeDoesNotWrap(t *testing.T) {
	for _, c := range []struct{ start, end string }{
		{"0", "9223372036854775807"}, {"-9223372036854775808", "9223372036854775807"}, {"9223372036854775807", "-1"},
	} {
		s := seqOf(c.start, c.end)
		if n, ok := SequenceSize(s); ok && n <= int64(DefaultLimits.MaxLoopItems) {
			t.Errorf("%s..%s: size %d, want one over the limit or not ok", c.start, c.end, n)
		}
	}
}

func seqOf(start, end string) *wfv1.Sequence {
	return &wfv1.Sequence{Start: &wfv1.IntOrString{IsString: true, StrVal: start}, End: &wfv1.IntOrString{IsString: true, StrVal: end}}
}
