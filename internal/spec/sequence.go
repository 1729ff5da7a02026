package spec

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// SequenceRange is a withSequence resolved to integers: Len items from
// Start, counting up to End, or down when Start > End as Argo does.
type SequenceRange struct {
	Start, End int64
	Len        int64
}

// Item is the i-th value of the range (0 <= i < Len); it cannot overflow
// because the whole range lies between Start and End.
func (r SequenceRange) Item(i int64) int64 {
	if r.Start > r.End {
		return r.Start - i
	}
	return r.Start + i
}

// SequenceTooLarge is a withSequence of more items than the loop limit.
// Items saturates at the largest int64: the full int64 range has one item
// more than that.
type SequenceTooLarge struct {
	Items int64
}

func (e *SequenceTooLarge) Error() string {
	return fmt.Sprintf("withSequence has %d items", e.Items)
}

// SequenceError is a withSequence field that cannot be used; Field is
// "count", "start", "end" or "format".
type SequenceError struct {
	Field, Reason string
}

func (e *SequenceError) Error() string { return "withSequence." + e.Field + ": " + e.Reason }

// ParseSequenceInt reads one integer field of a withSequence.
func ParseSequenceInt(field, s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if errors.Is(err, strconv.ErrRange) {
		return 0, &SequenceError{field, fmt.Sprintf("%q is not an integer in the 64-bit range", s)}
	}
	if err != nil {
		return 0, &SequenceError{field, fmt.Sprintf("%q is not an integer", s)}
	}
	return n, nil
}

// ResolveSequence sizes a withSequence from its integer fields (count or
// end given, never both) with arithmetic that cannot wrap, so that lint
// and the engine agree and neither sizes a loop of 2^63 items as a
// negative or empty one. A size over limit is a *SequenceTooLarge.
func ResolveSequence(start int64, count, end *int64, limit int) (SequenceRange, error) {
	switch {
	case count != nil && end != nil:
		return SequenceRange{}, &SequenceError{"count", "count and end are mutually exclusive"}
	case count == nil && end == nil:
		return SequenceRange{}, &SequenceError{"end", "one of count or end is required"}
	case count != nil:
		c := *count
		if c < 0 {
			return SequenceRange{}, &SequenceError{"count", fmt.Sprintf("%d is negative", c)}
		}
		if c > int64(limit) {
			return SequenceRange{}, &SequenceTooLarge{Items: c}
		}
		if c == 0 {
			return SequenceRange{Start: start, End: start}, nil
		}
		if start > math.MaxInt64-(c-1) {
			return SequenceRange{}, &SequenceError{"count", fmt.Sprintf("%d items from %d pass the largest int64", c, start)}
		}
		return SequenceRange{Start: start, End: start + c - 1, Len: c}, nil
	}
	lo, hi := min(start, *end), max(start, *end)
	// hi-lo taken in uint64 is exact: the true difference is below 2^64.
	diff := uint64(hi) - uint64(lo)
	if diff >= math.MaxInt64 || diff >= uint64(limit) {
		return SequenceRange{}, &SequenceTooLarge{Items: int64(min(diff, math.MaxInt64-1)) + 1}
	}
	return SequenceRange{Start: start, End: *end, Len: int64(diff) + 1}, nil
}

// maxFormatWidth bounds a withSequence format's width and precision: fmt
// accepts up to a million, and 20,000 items of a megabyte each would
// exhaust the engine.
const maxFormatWidth = 64

// CheckSequenceFormat accepts a printf format with exactly one integer
// verb (Argo passes it each number), of a sane width.
func CheckSequenceFormat(f string) error {
	if f == "" {
		return nil
	}
	if len(f) > 253 {
		return &SequenceError{"format", fmt.Sprintf("is %d characters long, over 253", len(f))}
	}
	verbs := 0
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		i++
		if i < len(f) && f[i] == '%' {
			continue
		}
		for i < len(f) && strings.IndexByte("+-# 0", f[i]) >= 0 {
			i++
		}
		for _, part := range []string{"width", "precision"} {
			if part == "precision" {
				if i >= len(f) || f[i] != '.' {
					break
				}
				i++
			}
			j := i
			for i < len(f) && f[i] >= '0' && f[i] <= '9' {
				i++
			}
			if n, _ := strconv.Atoi(f[j:i]); i-j > 3 || n > maxFormatWidth {
				return &SequenceError{"format", fmt.Sprintf("%q: %s %s is over %d", f, part, f[j:i], maxFormatWidth)}
			}
		}
		if i >= len(f) || strings.IndexByte("bcdoOqxXUv", f[i]) < 0 {
			return &SequenceError{"format", fmt.Sprintf("%q: each %% must be %%%% or an integer verb such as %%d or %%02x", f)}
		}
		verbs++
	}
	if verbs != 1 {
		return &SequenceError{"format", fmt.Sprintf("%q has %d integer verbs, want one (such as %%d)", f, verbs)}
	}
	return nil
}
