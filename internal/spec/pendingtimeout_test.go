package spec

import (
	"strings"
	"testing"
	"time"
)

// pendingTimeout and semaflow.dev/pending-timeout are read by one
// function, for lint and the engine alike (hostile finding 6: lint read
// whole seconds, the engine floats, so "0", "1e-10s" and an overflowing
// count of seconds passed lint and failed at once).
func TestParsePendingTimeout(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"90s", 90 * time.Second, ""},
		{"5m", 5 * time.Minute, ""},
		{"1", time.Second, ""},
		{"1.5", 1500 * time.Millisecond, ""},
		{"120", 2 * time.Minute, ""},
		{"0", 0, "at least 1s"},
		{"0s", 0, "at least 1s"},
		{"0.0000000001s", 0, "at least 1s"},
		{"500ms", 0, "at least 1s"},
		{"-5", 0, "negative"},
		{"9223372037", 0, "at most"},
		{"1e9", 0, "invalid duration"},
		{"NaN", 0, "invalid duration"},
		{"soon", 0, "invalid duration"},
		{"100000h", 0, "at most"},
	} {
		got, err := ParsePendingTimeout(c.in)
		switch {
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("%q: got %v, %v; want %v", c.in, got, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: got %v, %v; want an error with %q", c.in, got, err, c.err)
		}
	}
}

// Lint refuses what the engine would refuse, naming the field and line.
func TestPendingTimeoutLintNamesFieldAndLine(t *testing.T) {
	d := lintString(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: w
  annotations: {semaflow.dev/pending-timeout: "9223372037"}
spec:
  entrypoint: main
  synchronization: {mutexes: [{name: m}]}
  templates:
  - name: main
    synchronization: {mutexes: [{name: n}]}
    pendingTimeout: "0"
    container: {image: x}
`)
	all := d.Error()
	for _, want := range []string{
		`test.yaml:5:`, `metadata.annotations.semaflow.dev/pending-timeout: pending timeout "9223372037"`, "at most",
		`test.yaml:12:`, `spec.templates[0].pendingTimeout: pending timeout "0"`, "at least 1s",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("want %q in:\n%s", want, all)
		}
	}
}
