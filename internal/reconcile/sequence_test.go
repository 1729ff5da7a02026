package reconcile

import (
	"errors"
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
)

func str(s string) *wfv1.IntOrString { return &wfv1.IntOrString{IsString: true, StrVal: s} }

// A withSequence whose bounds are at the ends of int64 is refused with an
// error naming the field, never sized by arithmetic that wraps (a negative
// size panicked in make; a size of zero appended forever).
func TestSequenceExtremeBoundsAreRefused(t *testing.T) {
	const limit = 20000
	cases := []struct {
		name  string
		seq   wfv1.Sequence
		field string // in the error
		limit bool   // a loopLimitError
	}{
		{"0 to max int64", wfv1.Sequence{Start: str("0"), End: str("9223372036854775807")}, "withSequence", true},
		{"min to max int64", wfv1.Sequence{Start: str("-9223372036854775808"), End: str("9223372036854775807")}, "withSequence", true},
		{"max to min int64", wfv1.Sequence{Start: str("9223372036854775807"), End: str("-9223372036854775808")}, "withSequence", true},
		{"-1 to max int64", wfv1.Sequence{Start: str("-1"), End: str("9223372036854775807")}, "withSequence", true},
		{"count max int64", wfv1.Sequence{Start: str("5"), Count: str("9223372036854775807")}, "withSequence", true},
		{"count past the end of int64", wfv1.Sequence{Start: str("9223372036854775807"), Count: str("2")}, "withSequence.count", false},
		{"count negative", wfv1.Sequence{Count: str("-9223372036854775808")}, "withSequence.count", false},
		{"end past int64", wfv1.Sequence{End: str("9223372036854775808")}, "withSequence.end", false},
		{"start not a number", wfv1.Sequence{Start: str("x"), End: str("3")}, "withSequence.start", false},
		{"format without a verb", wfv1.Sequence{End: str("3"), Format: "item"}, "withSequence.format", false},
		{"format too wide", wfv1.Sequence{End: str("3"), Format: "%0999999d"}, "withSequence.format", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := sequence(&c.seq, expr.Scope{}, limit)
			if err == nil {
				t.Fatalf("got %d items, want an error naming %s", len(out), c.field)
			}
			var le *loopLimitError
			if errors.As(err, &le) != c.limit || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("error %q (limit error: %v), want one naming %s (limit error: %v)", err, le != nil, c.field, c.limit)
			}
		})
	}
}

// Argo counts down when start is above end, and the ends of int64 are
// reachable in a short sequence.
func TestSequenceCountsDownAndReachesTheEnds(t *testing.T) {
	cases := []struct {
		seq  wfv1.Sequence
		want string
	}{
		{wfv1.Sequence{Start: str("3"), End: str("1")}, "3 2 1"},
		{wfv1.Sequence{Start: str("1"), End: str("3")}, "1 2 3"},
		{wfv1.Sequence{Count: str("0")}, ""},
		{wfv1.Sequence{Start: str("5"), Count: str("2"), Format: "n%02x"}, "n05 n06"},
		{wfv1.Sequence{Start: str("9223372036854775806"), End: str("9223372036854775807")}, "9223372036854775806 9223372036854775807"},
		{wfv1.Sequence{Start: str("9223372036854775806"), Count: str("2")}, "9223372036854775806 9223372036854775807"},
		{wfv1.Sequence{Start: str("-9223372036854775807"), End: str("-9223372036854775808")}, "-9223372036854775807 -9223372036854775808"},
	}
	for _, c := range cases {
		out, err := sequence(&c.seq, expr.Scope{}, 100)
		if err != nil || strings.Join(out, " ") != c.want {
			t.Errorf("%+v: %q %v, want %q", c.seq, out, err, c.want)
		}
	}
}
