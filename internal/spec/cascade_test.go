package spec

import (
	"strings"
	"testing"
)

// A value the decoder cannot hold (a float where an integer goes) stops
// the decoding of the template around it, so the fields after it are
// missing: lint names the bad value, and does not go on to call the
// template typeless, which it is not.
func TestBadValueDoesNotCascadeIntoNoType(t *testing.T) {
	d := lintString(t, wfHeader+`spec:
  entrypoint: main
  templates:
  - name: main
    retryStrategy: {limit: 2, backoff: {duration: 1s, factor: 1e308}}
    container: {image: a, command: [sh, -c, "exit 1"]}
`)
	var lines []string
	for _, x := range d {
		lines = append(lines, x.String())
	}
	got := strings.Join(lines, "\n")
	if !strings.Contains(got, "backoff.factor") {
		t.Errorf("want the bad factor named, got:\n%s", got)
	}
	if strings.Contains(got, "has no type") {
		t.Errorf("a bad factor must not be reported as a template with no type:\n%s", got)
	}
}
