package spec

import (
	"strings"
	"testing"
)

// A retryStrategy.limit that is neither an integer nor a placeholder
// would otherwise only fail when the step first fails.
func TestRetryLimitMustBeAnInteger(t *testing.T) {
	for src, want := range map[string]string{
		`{limit: "many"}`:                           `limit "many" is not an integer of at least 0`,
		`{limit: "-1"}`:                             `limit "-1" is not an integer of at least 0`,
		`{limit: "3"}`:                              "",
		`{limit: "{{workflow.name}}"}`:              "",
		`{limit: 2, retryPolicy: OnTransientError}`: "",
	} {
		d := lintString(t, wfHeader+`spec:
  entrypoint: main
  retryStrategy: `+src+`
  templates:
  - {name: main, retryStrategy: `+src+`, container: {image: a}}
`)
		var lines []string
		for _, x := range d {
			lines = append(lines, x.String())
		}
		got := strings.Join(lines, "\n")
		if want == "" && d.HasErrors() {
			t.Errorf("%s: unexpected errors:\n%s", src, got)
		}
		if want != "" && (strings.Count(got, want) != 2 || !strings.Contains(got, "spec.retryStrategy.limit")) {
			t.Errorf("%s: want %q at spec.retryStrategy.limit and at the template's, got:\n%s", src, want, got)
		}
	}
}

// Argo waits out a backoff only while a limit leaves retries; without a
// limit it retries at once. Semaflow waits either way, and lint says so
// (after the warning that the retries have no limit at all).
func TestBackoffWithoutLimitIsAWarning(t *testing.T) {
	d := lintString(t, wfHeader+`spec:
  entrypoint: main
  templates:
  - {name: main, retryStrategy: {backoff: {duration: 10s}}, container: {image: a}}
`)
	if d.HasErrors() || len(d) != 2 || !strings.Contains(d[1].String(), "retryStrategy.backoff") ||
		!strings.Contains(d[1].String(), "no limit") {
		t.Fatalf("want one warning at retryStrategy.backoff about the missing limit, got %v", d)
	}
}

// A retryStrategy without a limit retries a step that always fails until
// the workflow meets its node limit, which takes long: lint says so where
// the strategy is, the workflow's or a template's.
func TestRetryWithoutLimitIsAWarning(t *testing.T) {
	d := lintString(t, wfHeader+`spec:
  entrypoint: main
  retryStrategy: {}
  templates:
  - {name: main, retryStrategy: {retryPolicy: Always}, container: {image: a}}
  - {name: bounded, retryStrategy: {limit: 3}, container: {image: a}}
`)
	var got []string
	for _, x := range d {
		if strings.Contains(x.String(), "no limit") {
			got = append(got, x.String())
		}
	}
	if d.HasErrors() || len(got) != 2 || !strings.Contains(got[0]+got[1], "spec.retryStrategy:") ||
		!strings.Contains(got[0]+got[1], "spec.templates[0].retryStrategy:") || !strings.Contains(got[0], "max-nodes") {
		t.Fatalf("want a warning about the missing limit at spec.retryStrategy and at the template's, naming max-nodes; got %v", d)
	}
}

// A retry expression that does not compile would only fail when the step
// first fails; lint finds it.
func TestRetryExpressionMustCompile(t *testing.T) {
	d := lintString(t, wfHeader+`spec:
  entrypoint: main
  templates:
  - {name: main, retryStrategy: {limit: 2, expression: "nosuch.thing("}, container: {image: a}}
  - {name: ok, retryStrategy: {limit: 2, expression: "asInt(lastRetry.exitCode) > 1"}, container: {image: a}}
`)
	var lines []string
	for _, x := range d {
		lines = append(lines, x.String())
	}
	got := strings.Join(lines, "\n")
	if !d.HasErrors() || strings.Count(got, "retryStrategy.expression") != 1 || !strings.Contains(got, "spec.templates[0].retryStrategy.expression") {
		t.Fatalf("want one error at spec.templates[0].retryStrategy.expression, got:\n%s", got)
	}
}
