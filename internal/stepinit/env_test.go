package stepinit

import (
	"slices"
	"testing"
)

func TestDedupEnvKeepsTheLastValue(t *testing.T) {
	cases := []struct{ in, want []string }{
		{nil, []string{}},
		{[]string{"A=1"}, []string{"A=1"}},
		{[]string{"PATH=/host", "HOME=/h", "X=1", "PATH=/wf", "HOME=/wf"}, []string{"X=1", "PATH=/wf", "HOME=/wf"}},
		{[]string{"A=1", "A=2", "A=3"}, []string{"A=3"}},
		{[]string{"A=", "B=x=y", "A=z"}, []string{"B=x=y", "A=z"}},
		{[]string{"odd", "odd", "A=1"}, []string{"odd", "odd", "A=1"}}, // not name=value: kept, as os/exec keeps it
	}
	for _, c := range cases {
		if got := DedupEnv(c.in); !slices.Equal(got, c.want) {
			t.Errorf("DedupEnv(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSetEnvReplacesInPlace(t *testing.T) {
	got := SetEnv([]string{"A=1", "TMPDIR=/host", "B=2"}, "TMPDIR", "/step")
	if want := []string{"A=1", "TMPDIR=/step", "B=2"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := SetEnv([]string{"A=1"}, "TMPDIR", "/step"); !slices.Equal(got, []string{"A=1", "TMPDIR=/step"}) {
		t.Errorf("got %q", got)
	}
}
