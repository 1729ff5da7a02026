package reconcile

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/semaflow/semaflow/api/wfv1"
)

// TestRandomDAGs runs random DAGs with random step outcomes and checks
// what must always hold: the workflow ends, no node is launched twice
// (sim fails the test if one is), spec.parallelism is never exceeded,
// every pod ends in a final phase, and the workflow Succeeded exactly when
// no step failed.
func TestRandomDAGs(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(1, 12).Draw(rt, "tasks")
		par := rapid.IntRange(0, 4).Draw(rt, "parallelism")
		var b strings.Builder
		b.WriteString(header + "  entrypoint: main\n")
		if par > 0 {
			fmt.Fprintf(&b, "  parallelism: %d\n", par)
		}
		b.WriteString("  templates:\n  - name: main\n    dag:\n      tasks:\n")
		fails := map[string]bool{}
		for i := range n {
			var deps []string
			for j := range i {
				if rapid.IntRange(0, 3).Draw(rt, fmt.Sprintf("dep%d-%d", i, j)) == 0 {
					deps = append(deps, fmt.Sprintf("t%d", j))
				}
			}
			name := fmt.Sprintf("t%d", i)
			fmt.Fprintf(&b, "      - {name: %s, template: step, dependencies: [%s]}\n", name, strings.Join(deps, ", "))
			fails[name] = rapid.IntRange(0, 5).Draw(rt, "fail-"+name) == 0
		}
		b.WriteString("  - {name: step, container: {image: x, command: [\"true\"]}}\n")
		durations := rapid.SliceOfN(rapid.IntRange(1, 5), n, n).Draw(rt, "durations")
		s := newSim(t, b.String(), func(l Launch) outcome {
			task := l.NodeName[strings.LastIndex(l.NodeName, ".")+1:]
			var i int
			_, _ = fmt.Sscanf(task, "t%d", &i)
			o := outcome{takes: time.Duration(durations[i]) * time.Second}
			if fails[task] {
				o.exit = 1
			}
			return o
		})
		wf := s.run()
		if par > 0 && s.maxActive > par {
			rt.Fatalf("%d steps ran at once, parallelism %d", s.maxActive, par)
		}
		anyFailed := false
		for _, node := range wf.Status.Nodes {
			if node.Type == NodePod && !fulfilled(&node) {
				rt.Fatalf("pod %s left in %s", node.Name, node.Phase)
			}
			if node.Type == NodePod && node.Phase == wfv1.PhaseFailed {
				anyFailed = true
			}
		}
		if (wf.Status.Phase == wfv1.PhaseSucceeded) == anyFailed {
			rt.Fatalf("workflow %s, a step failed: %v\n%s", wf.Status.Phase, anyFailed, s.dump())
		}
	})
}
