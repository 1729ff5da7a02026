package spec

import (
	"fmt"
	"strings"
	"testing"
)

// lintFiles parses and validates several in-memory files as one set.
func lintFiles(t *testing.T, files ...[2]string) Diagnostics {
	t.Helper()
	var fs []*File
	for _, f := range files {
		fs = append(fs, Parse(f[0], []byte(strings.TrimLeft(f[1], "\n")), Options{}))
	}
	set := NewSet(fs...)
	set.Validate()
	return set.Diagnostics()
}

// nested is a workflow whose main template holds lock outer while its
// step runs a template that asks for inner.
func nested(name, outer, inner string) string {
	return `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: ` + name + `}
spec:
  entrypoint: main
  templates:
  - name: main
    synchronization: {mutexes: [{name: ` + outer + `}]}
    steps: [[{name: s, template: inner}]]
  - name: inner
    synchronization: {mutexes: [{name: ` + inner + `}]}
    container: {image: x}
`
}

const libAB = `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: lib}
spec:
  templates:
  - name: take-a-then-b
    synchronization: {mutexes: [{name: a}]}
    steps: [[{name: s, template: take-b}]]
  - name: take-b
    synchronization: {mutexes: [{name: b}]}
    container: {image: x}
`

// Both deadlock shapes (lock-order inversion and a lock taken again
// below its holder), in one file, across files, and through templateRef
// and workflowTemplateRef; with what keeps them apart (a gate mutex,
// paths that run one after the other, a limit large enough).
func TestLockGraph(t *testing.T) {
	type file = [2]string
	for _, c := range []struct {
		name  string
		files []file
		// want are substrings of the diagnostics, each with its
		// severity prefix ("error " or "warning "); none means no
		// diagnostic may mention deadlock or inversion.
		want []string
	}{
		{"inversion between two workflows of one file", []file{{"ab.yaml", nested("ab", "a", "b") + "---\n" + nested("ba", "b", "a")}},
			[]string{"error ab.yaml:24:", "lock-order inversion: Workflow ab: main > inner holds mutex default/Mutex/a (ab.yaml:8 (spec.templates[0].synchronization.mutexes[0])) while it asks for mutex default/Mutex/b (ab.yaml:11 (spec.templates[1].synchronization.mutexes[0])), and Workflow ba: main > inner holds default/Mutex/b (ab.yaml:21"}},
		{"inversion across files", []file{{"a.yaml", nested("ab", "a", "b")}, {"b.yaml", nested("ba", "b", "a")}},
			[]string{"error b.yaml:11:", "(a.yaml:8 (spec.templates[0]", "holds default/Mutex/b (b.yaml:8 ("}},
		{"inversion through templateRef in another file", []file{{"lib.yaml", libAB}, {"wf.yaml", nested("ba", "b", "a")}, {"user.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: user}
spec:
  entrypoint: main
  templates:
  - name: main
    steps: [[{name: s, templateRef: {name: lib, template: take-a-then-b}}]]
`}}, []string{"error ", "lock-order inversion", "lib.yaml:7 (spec.templates[0].synchronization.mutexes[0])", "wf.yaml:11"}},
		{"inversion through workflowTemplateRef and the workflow's own lock", []file{{"t.yaml", `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: held-a}
spec:
  entrypoint: main
  synchronization: {mutexes: [{name: a}]}
  templates:
  - {name: main, synchronization: {mutexes: [{name: b}]}, container: {image: x}}
`}, {"w.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: by-ref}
spec:
  workflowTemplateRef: {name: held-a}
`}, {"ba.yaml", nested("ba", "b", "a")}}, []string{"error ", "lock-order inversion", "t.yaml:6 (spec.synchronization.mutexes[0])"}},
		{"parallel steps of one workflow", []file{{"p.yaml", wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    steps: [[{name: x, template: ab}, {name: y, template: ba}]]
  - {name: ab, synchronization: {mutexes: [{name: a}]}, steps: [[{name: s, template: b}]]}
  - {name: ba, synchronization: {mutexes: [{name: b}]}, steps: [[{name: s, template: a}]]}
  - {name: a, synchronization: {mutexes: [{name: a}]}, container: {image: x}}
  - {name: b, synchronization: {mutexes: [{name: b}]}, container: {image: x}}
`}}, []string{"error ", "main > ab > b holds mutex default/Mutex/a", "main > ba > a holds default/Mutex/b", "both can run at once"}},
		{"independent DAG tasks", []file{{"d.yaml", wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    dag: {tasks: [{name: x, template: ab}, {name: y, template: ba}]}
  - {name: ab, synchronization: {mutexes: [{name: a}]}, steps: [[{name: s, template: b}]]}
  - {name: ba, synchronization: {mutexes: [{name: b}]}, steps: [[{name: s, template: a}]]}
  - {name: a, synchronization: {mutexes: [{name: a}]}, container: {image: x}}
  - {name: b, synchronization: {mutexes: [{name: b}]}, container: {image: x}}
`}}, []string{"error ", "lock-order inversion"}},
		{"dependent DAG tasks: only two runs at once deadlock", []file{{"d.yaml", wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    dag: {tasks: [{name: x, template: ab}, {name: y, template: ba, depends: x}]}
  - {name: ab, synchronization: {mutexes: [{name: a}]}, steps: [[{name: s, template: b}]]}
  - {name: ba, synchronization: {mutexes: [{name: b}]}, steps: [[{name: s, template: a}]]}
  - {name: a, synchronization: {mutexes: [{name: a}]}, container: {image: x}}
  - {name: b, synchronization: {mutexes: [{name: b}]}, container: {image: x}}
`}}, []string{"warning ", "two runs of Workflow t- at once"}},
		{"sequential step groups: a warning", []file{{"s.yaml", wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    steps: [[{name: x, template: ab}], [{name: y, template: ba}]]
  - {name: ab, synchronization: {mutexes: [{name: a}]}, steps: [[{name: s, template: b}]]}
  - {name: ba, synchronization: {mutexes: [{name: b}]}, steps: [[{name: s, template: a}]]}
  - {name: a, synchronization: {mutexes: [{name: a}]}, container: {image: x}}
  - {name: b, synchronization: {mutexes: [{name: b}]}, container: {image: x}}
`}}, []string{"warning ", "lock-order inversion"}},
		{"a workflow-level mutex on both keeps them apart", []file{{"g.yaml",
			strings.Replace(nested("ab", "a", "b"), "  entrypoint: main\n", "  entrypoint: main\n  synchronization: {mutexes: [{name: gate}]}\n", 1) + "---\n" +
				strings.Replace(nested("ba", "b", "a"), "  entrypoint: main\n", "  entrypoint: main\n  synchronization: {mutexes: [{name: gate}]}\n", 1)}}, nil},
		{"one order everywhere", []file{{"a.yaml", nested("ab", "a", "b")}, {"b.yaml", nested("ab2", "a", "b")}}, nil},
		{"semaphores of limit 2: a warning", []file{{"s.yaml", `apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data: {a: "2", b: "2"}
---
` + strings.NewReplacer("mutexes: [{name: a}]", "semaphores: [{configMapKeyRef: {name: cm, key: a}}]",
			"mutexes: [{name: b}]", "semaphores: [{configMapKeyRef: {name: cm, key: b}}]").Replace(nested("ab", "a", "b")+"---\n"+nested("ba", "b", "a"))}},
			[]string{"warning ", "lock-order inversion: Workflow ab: main > inner holds semaphore default/ConfigMap/cm/a", "every permit"}},
		{"mutex taken again through templateRef", []file{{"lib.yaml", libAB}, {"w.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: again}
spec:
  entrypoint: main
  templates:
  - name: main
    synchronization: {mutexes: [{name: b}]}
    steps: [[{name: s, templateRef: {name: lib, template: take-a-then-b}}]]
`}}, []string{"error lib.yaml:10:", `self-deadlock: template "main" holds mutex default/Mutex/b while everything it calls runs (w.yaml:8`}},
		{"semaphore of limit 1 nested two deep", []file{{"s.yaml", `apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data: {one: "1"}
---
` + wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    synchronization: {semaphores: [{configMapKeyRef: {name: cm, key: one}}]}
    steps: [[{name: s, template: mid}]]
  - {name: mid, steps: [[{name: s, template: leaf}]]}
  - {name: leaf, synchronization: {semaphores: [{configMapKeyRef: {name: cm, key: one}}]}, container: {image: x}}
`}}, []string{"error ", "self-deadlock: semaphore default/ConfigMap/cm/one has limit 1, and 1 of its permits are held above template \"leaf\""}},
		{"semaphore of limit 2 nested three deep", []file{{"s.yaml", `apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data: {two: "2"}
---
` + wfHeader + `spec:
  entrypoint: main
  templateDefaults: {synchronization: {semaphores: [{configMapKeyRef: {name: cm, key: two}}]}}
  templates:
  - {name: main, steps: [[{name: s, template: mid}]]}
  - {name: mid, steps: [[{name: s, template: leaf}]]}
  - {name: leaf, container: {image: x}}
`}}, []string{"error ", "limit 2, and 2 of its permits are held above template \"leaf\""}},
		{"semaphore of limit 2 nested two deep: two runs at once deadlock, a warning", []file{{"s.yaml", `apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data: {two: "2"}
---
` + wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    synchronization: {semaphores: [{configMapKeyRef: {name: cm, key: two}}]}
    steps: [[{name: s, template: leaf}]]
  - {name: leaf, synchronization: {semaphores: [{configMapKeyRef: {name: cm, key: two}}]}, container: {image: x}}
`}}, []string{"warning ", "semaphore default/ConfigMap/cm/two", "2 runs at once"}},
		{"recursive template ends the walk", []file{{"r.yaml", wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    steps: [[{name: again, template: main, when: "false"}], [{name: s, template: leaf}]]
  - {name: leaf, synchronization: {mutexes: [{name: a}]}, container: {image: x}}
`}}, nil},
		{"recursive template under its own mutex", []file{{"r.yaml", wfHeader + `spec:
  entrypoint: main
  templates:
  - name: main
    synchronization: {mutexes: [{name: a}]}
    steps: [[{name: again, template: main, when: "false"}]]
`}}, []string{"error ", `self-deadlock: template "main" holds mutex default/Mutex/a`}},
		{"a step's onExit runs under its caller's locks", []file{{"a.yaml", hostileOnExitAB}, {"b.yaml", hostileBA}},
			[]string{"error ", "lock-order inversion", "Workflow wf-onexit: main > take-b holds mutex default/Mutex/a"}},
		{"a step's hook runs under its caller's locks", []file{{"a.yaml", hostileHooksAB}, {"b.yaml", hostileBA}},
			[]string{"error ", "lock-order inversion", "Workflow wf-hooks: main > take-b holds mutex default/Mutex/a"}},
		{"a DAG task's onExit runs under its caller's locks", []file{{"a.yaml", strings.Replace(hostileOnExitAB,
			"    steps:\n    - - {name: hold, template: hold, onExit: take-b}", "    dag: {tasks: [{name: hold, template: hold, onExit: take-b}]}", 1)}, {"b.yaml", hostileBA}},
			[]string{"error ", "lock-order inversion", "Workflow wf-onexit: main > take-b holds mutex default/Mutex/a"}},
		{"the workflow's hooks.exit runs under its workflow-level locks", []file{{"a.yaml", hostileWfHooksAB}, {"b.yaml", hostileBA}},
			[]string{"error ", "lock-order inversion", "Workflow wf-wfhooks: take-b holds mutex default/Mutex/a"}},
		{"a WorkflowTemplate whose phases run one after the other: a warning, as the same Workflow", []file{{"t.yaml", twoPhases("WorkflowTemplate", "")}},
			[]string{"warning ", "lock-order inversion", "two runs of WorkflowTemplate two-phases at once"}},
		{"a WorkflowTemplate under a gate mutex: clean, as the same Workflow", []file{{"t.yaml", twoPhases("WorkflowTemplate", "  synchronization: {mutexes: [{name: gate}]}\n")}}, nil},
		{"the same Workflow under a gate mutex", []file{{"t.yaml", twoPhases("Workflow", "  synchronization: {mutexes: [{name: gate}]}\n")}}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := lintFiles(t, c.files...)
			var lines []string
			for _, x := range d {
				lines = append(lines, string(x.Severity)+" "+x.String())
			}
			all := strings.Join(lines, "\n")
			if len(c.want) == 0 {
				if strings.Contains(all, "deadlock") || strings.Contains(all, "inversion") {
					t.Fatalf("want no deadlock reported, got:\n%s", all)
				}
				return
			}
			for _, line := range lines {
				ok := true
				for _, w := range c.want {
					ok = ok && strings.Contains(line, w)
				}
				if ok {
					return
				}
			}
			t.Fatalf("want one diagnostic with all of %q, got:\n%s", c.want, all)
		})
	}
}

// A semaphore whose limit is 0 grants nothing until it is raised.
func TestLimitZeroWarns(t *testing.T) {
	d := lintString(t, `apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data: {k: "0"}
---
`+wfHeader+`spec:
  entrypoint: main
  templates:
  - {name: main, synchronization: {semaphores: [{configMapKeyRef: {name: cm, key: k}}]}, container: {image: x}}
`)
	if d.HasErrors() || !strings.Contains(d.Error(), "warning: semaphore default/ConfigMap/cm/k has limit 0") {
		t.Fatalf("want a warning for limit 0, got:\n%v", d)
	}
}

// The workflow-level wait's timeout is a duration as pendingTimeout's.
func TestWorkflowPendingTimeoutLint(t *testing.T) {
	d := lintString(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: w
  annotations: {semaflow.dev/pending-timeout: soon}
spec:
  entrypoint: main
  synchronization: {mutexes: [{name: m}]}
  templates:
  - {name: main, container: {image: x}}
`)
	if !strings.Contains(d.Error(), `metadata.annotations.semaflow.dev/pending-timeout: invalid duration "soon"`) {
		t.Fatalf("want the bad duration reported, got:\n%v", d)
	}
	d = lintString(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: w
  annotations: {semaflow.dev/pending-timeout: 5m}
spec:
  entrypoint: main
  synchronization: {mutexes: [{name: m}]}
  templates:
  - {name: main, container: {image: x}}
`)
	if d.HasErrors() {
		t.Fatalf("a good duration reported:\n%v", d)
	}
}

// The hostile tester's lint/ files (finding 7): a take of b that lint
// did not follow while a was held.
const hostileOnExitAB = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: wf-onexit}
spec:
  entrypoint: main
  templates:
  - name: main
    synchronization:
      mutexes: [{name: a}]
    steps:
    - - {name: hold, template: hold, onExit: take-b}
  - name: hold
    container: {image: busybox, command: [sleep, "1"]}
  - name: take-b
    synchronization:
      mutexes: [{name: b}]
    container: {image: busybox, command: [sleep, "0"]}
`

const hostileHooksAB = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: wf-hooks}
spec:
  entrypoint: main
  templates:
  - name: main
    synchronization:
      mutexes: [{name: a}]
    steps:
    - - name: hold
        template: hold
        hooks:
          running:
            expression: steps["hold"].status == "Running"
            template: take-b
  - name: hold
    container: {image: busybox, command: [sleep, "1"]}
  - name: take-b
    synchronization:
      mutexes: [{name: b}]
    container: {image: busybox, command: [sleep, "0"]}
`

const hostileWfHooksAB = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: wf-wfhooks}
spec:
  entrypoint: main
  synchronization:
    mutexes: [{name: a}]
  hooks:
    exit:
      template: take-b
  templates:
  - name: main
    container: {image: busybox, command: [sleep, "1"]}
  - name: take-b
    synchronization:
      mutexes: [{name: b}]
    container: {image: busybox, command: [sleep, "0"]}
`

const hostileBA = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: wf-ba}
spec:
  entrypoint: main
  templates:
  - name: main
    synchronization:
      mutexes: [{name: b}]
    steps:
    - - {name: hold, template: hold}
    - - {name: take, template: take-a}
  - name: hold
    container: {image: busybox, command: [sleep, "1"]}
  - name: take-a
    synchronization:
      mutexes: [{name: a}]
    container: {image: busybox, command: [sleep, "0"]}
`

// twoPhases is the hostile tester's lint/wt-seq*.yaml (finding 8): A
// then B, and later B then A, in one run; gate is its workflow-level
// synchronization, if any.
func twoPhases(kind, gate string) string {
	return `apiVersion: argoproj.io/v1alpha1
kind: ` + kind + `
metadata:
  name: two-phases
spec:
  entrypoint: main
` + gate + `  templates:
  - name: main
    steps:
    - - {name: p1, template: a-then-b}
    - - {name: p2, template: b-then-a}
  - name: a-then-b
    synchronization: {mutexes: [{name: a}]}
    steps: [[{name: t, template: take-b}]]
  - name: b-then-a
    synchronization: {mutexes: [{name: b}]}
    steps: [[{name: t, template: take-a}]]
  - name: take-a
    synchronization: {mutexes: [{name: a}]}
    container: {image: busybox, command: ["true"]}
  - name: take-b
    synchronization: {mutexes: [{name: b}]}
    container: {image: busybox, command: ["true"]}
`
}

// A cycle longer than the search looks for (7 locks, the hostile
// tester's lint/cyc7) is not passed over in silence.
func TestLongCycleWarns(t *testing.T) {
	var files [][2]string
	locks := "abcdefg"
	for i := range len(locks) {
		files = append(files, [2]string{fmt.Sprintf("w%d.yaml", i), nested(fmt.Sprintf("w%d", i), locks[i:i+1], locks[(i+1)%len(locks):(i+1)%len(locks)+1])})
	}
	d := lintFiles(t, files...)
	if !strings.Contains(d.Error(), "cycle search stopped") {
		t.Fatalf("want a warning that the cycle search stopped short of a longer cycle, got:\n%v", d)
	}
	// A chain as long, with no way back, says nothing.
	d = lintFiles(t, files[:6]...)
	if strings.Contains(d.Error(), "cycle search stopped") {
		t.Fatalf("a chain without a cycle warned:\n%v", d)
	}
}
