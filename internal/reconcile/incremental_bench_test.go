package reconcile

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/spec"
)

// BenchmarkWalkRun times the reconciles of a whole run (every call the
// engine would make, steps taking simulated time), per step: a
// `withSequence` fan-out and a wide DAG, parallelism 8, at 1,000 and
// 10,000 steps, on the old walk and the incremental one. Time per step
// should not grow with the workflow.
func BenchmarkWalkRun(b *testing.B) {
	for _, kind := range []string{"seq", "dag"} {
		for _, n := range []int{1000, 10000} {
			for _, walk := range []string{"old", "new"} {
				b.Run(fmt.Sprintf("%s%d/%s", kind, n, walk), func(b *testing.B) {
					src := walkRunWorkflow(kind, n)
					var total time.Duration
					for b.Loop() {
						s := newSim(b, src, succeed)
						s.keep = true
						s.maxCalls = 10 * n
						opts := walkOpts{legacy: walk == "old"}
						if walk == "new" {
							opts.cache = NewCache()
						}
						s.reconcile = func(wf *wfv1.Workflow, events []Event, now time.Time) *Plan {
							start := time.Now()
							p := reconcileWalk(wf, events, now, s.res, spec.Limits{}, opts)
							total += time.Since(start)
							return p
						}
						if wf := s.run(); wf.Status.Phase != wfv1.PhaseSucceeded {
							b.Fatalf("phase %s: %s", wf.Status.Phase, wf.Status.Message)
						}
					}
					b.ReportMetric(float64(total.Microseconds())/float64(b.N*n), "µs-reconcile/step")
				})
			}
		}
	}
}

func walkRunWorkflow(kind string, n int) string {
	var b strings.Builder
	b.WriteString(header + "  entrypoint: main\n  parallelism: 8\n  templates:\n  - name: main\n")
	if kind == "seq" {
		fmt.Fprintf(&b, "    steps:\n    - - {name: s, template: noop, withSequence: {count: \"%d\"}}\n", n)
	} else {
		b.WriteString("    dag:\n      tasks:\n")
		for i := range n {
			fmt.Fprintf(&b, "      - {name: t%d, template: noop}\n", i)
		}
	}
	b.WriteString("  - {name: noop, container: {image: x, command: [\"true\"]}}\n")
	return b.String()
}
