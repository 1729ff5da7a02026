package spec

import (
	"fmt"
	"strings"
	"testing"
)

// A loop whose size is written in the manifest is refused by lint when it
// is over the limit, naming the file, the field and the template, rather
// than accepted and failed (or cut short) at run time.
func TestLintRefusesLiteralLoopsOverLimit(t *testing.T) {
	max := DefaultLimits.MaxLoopItems
	items := make([]string, max+1)
	for i := range items {
		items[i] = fmt.Sprint(i)
	}
	cases := []struct {
		name, loop, path, size string
	}{
		{"count", `withSequence: {count: "1000000"}`, "spec.templates[0].steps[0][0].withSequence.count", "1000000"},
		{"count as a number", `withSequence: {count: 1000000}`, "spec.templates[0].steps[0][0].withSequence.count", "1000000"},
		{"start and end", `withSequence: {start: "5", end: "2000004"}`, "spec.templates[0].steps[0][0].withSequence", "2000000"},
		{"items", `withItems: [` + strings.Join(items, ", ") + `]`, "spec.templates[0].steps[0][0].withItems", fmt.Sprint(max + 1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ds := lintString(t, wfHeader+`spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: many, template: echo, `+c.loop+`}
  - {name: echo, container: {image: a, command: ["true"]}}
`)
			var found []string
			for _, d := range ds {
				if d.Severity == SeverityError && d.Path == c.path && d.File == "test.yaml" &&
					strings.Contains(d.Message, `template "main"`) && strings.Contains(d.Message, c.size) &&
					strings.Contains(d.Message, fmt.Sprint(max)) {
					found = append(found, d.String())
				}
			}
			if len(found) != 1 {
				t.Fatalf("want one error at %s naming template \"main\", %s items and the limit %d; got:\n%v", c.path, c.size, max, ds)
			}
		})
	}
	// In a DAG too, and a loop at the limit is fine.
	ds := lintString(t, wfHeader+fmt.Sprintf(`spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: ok, template: echo, withSequence: {count: "%d"}}
      - {name: many, template: echo, withSequence: {end: "%d"}}
  - {name: echo, container: {image: a, command: ["true"]}}
`, max, max+1))
	var loopErrs []string
	for _, d := range ds {
		if strings.Contains(d.Message, "max-loop-items") {
			loopErrs = append(loopErrs, d.Path)
		}
	}
	if len(loopErrs) != 1 || loopErrs[0] != "spec.templates[0].dag.tasks[1].withSequence" {
		t.Fatalf("want one loop error, for task many; got:\n%v", ds)
	}
	// A limit raised for a server is honoured by its lint.
	f := Parse("test.yaml", []byte(wfHeader+fmt.Sprintf(`spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: many, template: echo, withSequence: {count: "%d"}}
  - {name: echo, container: {image: a, command: ["true"]}}
`, max+1)), Options{})
	set := NewSet(f)
	set.Limits = Limits{MaxLoopItems: max + 1}
	set.Validate()
	if ds := set.Diagnostics(); len(ds) != 0 {
		t.Fatalf("a loop at a raised limit is refused:\n%v", ds)
	}
}
