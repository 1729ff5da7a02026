package sqlite

import (
	"slices"
	"testing"
)

func TestLinksRoundTrip(t *testing.T) {
	long := make([]string, 300)
	for i := range long {
		long[i] = string(rune('a'+i%26)) + "-\x00\"é" + string(make([]byte, i%200))
	}
	for _, c := range []struct{ children, outbound []string }{
		{nil, nil}, {[]string{""}, nil}, {nil, []string{"x"}}, {long, long[:7]},
	} {
		ch, out, err := decodeLinks(encodeLinks(c.children, c.outbound))
		if err != nil || !slices.Equal(ch, c.children) || !slices.Equal(out, c.outbound) {
			t.Fatalf("round trip of %d, %d IDs: %d, %d, %v", len(c.children), len(c.outbound), len(ch), len(out), err)
		}
	}
}

// A damaged row is an error, never a panic or a huge allocation.
func TestLinksDamaged(t *testing.T) {
	good := encodeLinks([]string{"a", "bc"}, []string{"d"})
	for i := range len(good) {
		if _, _, err := decodeLinks(good[:i]); err == nil {
			t.Errorf("%d of %d bytes decoded without error", i, len(good))
		}
	}
	for _, b := range [][]byte{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, {1, 0xff, 0xff, 0xff, 0x0f, 'a'}, append(good, 0)} {
		if _, _, err := decodeLinks(b); err == nil {
			t.Errorf("%q decoded without error", b)
		}
	}
}
