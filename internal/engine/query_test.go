package engine

import "testing"

func TestJSONStringEnd(t *testing.T) {
	cases := []struct {
		in   string
		want int
	}{
		{`"abc",`, 5},
		{`"a\"b"}`, 6},
		{`"a\\"}`, 5},
		{`"\\\""x`, 6},
		{`"open`, -1},
		{`"ends in \`, -1},
	}
	for _, c := range cases {
		if got := jsonStringEnd([]byte(c.in), 0); got != c.want {
			t.Errorf("jsonStringEnd(%s) = %d, want %d", c.in, got, c.want)
		}
	}
}
