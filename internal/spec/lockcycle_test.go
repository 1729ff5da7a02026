package spec

import (
	"strings"
	"testing"
)

// gatedNested is nested under a workflow-level mutex gate, which every
// run of the set takes first.
func gatedNested(name, outer, inner string) string {
	return strings.Replace(nested(name, outer, inner), "  entrypoint: main\n", "  entrypoint: main\n  synchronization: {mutexes: [{name: gate}]}\n", 1)
}

// semNested is nested with semaphores of limit 2 instead of mutexes.
func semNested(name, outer, inner string) string {
	s := nested(name, outer, inner)
	for _, l := range []string{outer, inner} {
		s = strings.Replace(s, "{mutexes: [{name: "+l+"}]}", "{semaphores: [{configMapKeyRef: {name: cm, key: "+l+"}}]}", 1)
	}
	return s
}

// Lock-order cycles of three or more locks, each lock held by one run
// while it asks for the next's: lint names every path with file:line,
// once per cycle, as the runtime detector would fail one of them.
func TestLockOrderCycles(t *testing.T) {
	type file = [2]string
	for _, c := range []struct {
		name  string
		files []file
		// want are substrings of the one cycle diagnostic; none means no
		// cycle may be reported.
		want []string
	}{
		{"ring of three across three files", []file{{"a.yaml", nested("ab", "a", "b")}, {"b.yaml", nested("bc", "b", "c")}, {"c.yaml", nested("ca", "c", "a")}},
			[]string{"error c.yaml:11:", "lock-order cycle of 3 locks: ",
				"Workflow ab: main > inner holds mutex default/Mutex/a (a.yaml:8 (spec.templates[0].synchronization.mutexes[0])) while it asks for mutex default/Mutex/b (a.yaml:11 (spec.templates[1].synchronization.mutexes[0]))",
				"Workflow bc: main > inner holds default/Mutex/b (b.yaml:8 (spec.templates[0].synchronization.mutexes[0])) while it asks for default/Mutex/c (b.yaml:11 (spec.templates[1].synchronization.mutexes[0]))",
				"Workflow ca: main > inner holds default/Mutex/c (c.yaml:8 (spec.templates[0].synchronization.mutexes[0])) while it asks for default/Mutex/a (c.yaml:11 (spec.templates[1].synchronization.mutexes[0]))",
				"deadlock"}},
		{"ring of four in one file", []file{{"r.yaml", nested("ab", "a", "b") + "---\n" + nested("bc", "b", "c") + "---\n" + nested("cd", "c", "d") + "---\n" + nested("da", "d", "a")}},
			[]string{"error r.yaml:", "lock-order cycle of 4 locks: Workflow ab:", "Workflow bc:", "Workflow cd:", "Workflow da:"}},
		{"a gate mutex every run takes first keeps the ring apart", []file{{"a.yaml", gatedNested("ab", "a", "b")}, {"b.yaml", gatedNested("bc", "b", "c")}, {"c.yaml", gatedNested("ca", "c", "a")}}, nil},
		{"a chord makes a shorter cycle, reported as an inversion instead", []file{{"a.yaml", nested("ab", "a", "b")}, {"b.yaml", nested("bc", "b", "c")}, {"c.yaml", nested("ca", "c", "a")}, {"d.yaml", nested("ac", "a", "c")}}, nil},
		{"no cycle: A then B then C everywhere", []file{{"a.yaml", nested("ab", "a", "b")}, {"b.yaml", nested("bc", "b", "c")}, {"c.yaml", nested("ac", "a", "c")}}, nil},
		{"semaphores of limit 2 in a ring: a warning", []file{{"s.yaml", `apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data: {a: "2", b: "2", c: "2"}
---
` + semNested("ab", "a", "b") + "---\n" + semNested("bc", "b", "c") + "---\n" + semNested("ca", "c", "a")}},
			[]string{"warning s.yaml:", "lock-order cycle of 3 locks: ", "when every permit of each is taken"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := lintFiles(t, c.files...)
			var cycles []string
			for _, x := range d {
				if strings.Contains(x.Message, "lock-order cycle") {
					cycles = append(cycles, string(x.Severity)+" "+x.String())
				}
			}
			if len(c.want) == 0 {
				if len(cycles) != 0 {
					t.Fatalf("want no cycle reported, got:\n%s", strings.Join(cycles, "\n"))
				}
				return
			}
			if len(cycles) != 1 {
				t.Fatalf("want the cycle reported once, got %d:\n%s\nall: %v", len(cycles), strings.Join(cycles, "\n"), d)
			}
			for _, w := range c.want {
				if !strings.Contains(cycles[0], w) {
					t.Fatalf("want %q in:\n%s", w, cycles[0])
				}
			}
		})
	}
}

// The search is bounded: when it stops early lint says so, and what it
// found by then is still reported.
func TestLockOrderCycleSearchBound(t *testing.T) {
	defer func(n int) { lgMaxCycleSteps = n }(lgMaxCycleSteps)
	lgMaxCycleSteps = 2
	d := lintFiles(t, [2]string{"a.yaml", nested("ab", "a", "b")}, [2]string{"b.yaml", nested("bc", "b", "c")}, [2]string{"c.yaml", nested("ca", "c", "a")})
	var all []string
	for _, x := range d {
		line := string(x.Severity) + " " + x.String()
		if strings.HasPrefix(line, "warning a.yaml:") && strings.Contains(line, "the lock-order cycle search stopped after 2 steps") {
			return
		}
		all = append(all, line)
	}
	t.Fatalf("want a warning that the search stopped, got:\n%s", strings.Join(all, "\n"))
}
