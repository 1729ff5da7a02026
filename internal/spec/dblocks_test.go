package spec

import (
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// One name used as a database mutex and as a database semaphore names two
// locks (Argo keeps them apart in its database too), which is never what
// was meant: lint refuses it, across documents too (hostile 19 #1).
func TestLintDatabaseMutexAndSemaphoreOfOneName(t *testing.T) {
	d := lintString(t, wfHeader+`spec:
  entrypoint: main
  synchronization: {mutexes: [{name: x, database: true}]}
  templates:
  - {name: main, container: {image: a}}
---
`+wfHeader+`spec:
  entrypoint: main
  templates:
  - name: main
    synchronization: {semaphores: [{database: {key: x}}]}
    container: {image: a}
`)
	var found bool
	for _, x := range d {
		if x.Severity == SeverityError && strings.Contains(x.Message, "default/Database/x") && strings.Contains(x.Message, "database mutex") {
			found = true
		}
	}
	if !found {
		t.Fatalf("want an error naming database mutex and semaphore x, got %v", d)
	}
}

// A database semaphore takes its limit from the database; lint of files
// alone cannot see it and says how to set it, and with a lookup that
// knows the database it warns only when the limit is not set.
func TestLintDatabaseSemaphoreLimit(t *testing.T) {
	src := wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    synchronization: {semaphores: [{database: {key: seats}}]}
    container: {image: a}
`
	warned := func(d Diagnostics) bool {
		for _, x := range d {
			if x.Severity == SeverityWarning && strings.Contains(x.Message, "semaflow sync set default/Database/seats") {
				return true
			}
		}
		return false
	}
	if d := lintString(t, src); !warned(d) || d.HasErrors() {
		t.Fatalf("lint of files alone: want a warning saying how to set the limit, got %v", d)
	}
	for _, tc := range []struct {
		limits map[string]int
		warn   bool
	}{{map[string]int{}, true}, {map[string]int{"default/seats": 2}, false}} {
		f := Parse("test.yaml", []byte(src), Options{})
		set := NewSet(f)
		set.Applied = dbLookup(tc.limits)
		set.Validate()
		if d := set.Diagnostics(); warned(d) != tc.warn {
			t.Fatalf("limits %v: warned %v, want %v: %v", tc.limits, warned(d), tc.warn, d)
		}
	}
}

type dbLookup map[string]int

func (dbLookup) WorkflowTemplate(string, string, bool) *wfv1.WorkflowTemplate { return nil }
func (dbLookup) ConfigMap(string, string) *wfv1.ConfigMap                     { return nil }
func (l dbLookup) DatabaseLimit(ns, key string) (int, bool) {
	n, ok := l[ns+"/"+key]
	return n, ok
}
