package app

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/spec"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "semaflow-app-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "semaflow")
	if out, err := exec.Command("go", "build", "-o", binary, "../../cmd/semaflow").CombinedOutput(); err != nil {
		panic(string(out))
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func parseWorkflow(tb testing.TB, text string) *wfv1.Workflow {
	tb.Helper()
	f := spec.Parse("bench.yaml", []byte(text), spec.Options{})
	if d := f.AllDiags(); d.HasErrors() {
		tb.Fatal(d)
	}
	return f.Docs[0].Workflow
}

// wideDAG is n independent `true` tasks under spec.parallelism par.
func wideDAG(n, par int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: wide-}\nspec:\n  entrypoint: main\n  parallelism: %d\n  templates:\n  - name: main\n    dag:\n      tasks:\n", par)
	for i := range n {
		fmt.Fprintf(&b, "      - {name: t%d, template: noop}\n", i)
	}
	b.WriteString("  - {name: noop, container: {image: x, command: [\"true\"]}}\n")
	return b.String()
}

// spawnFloor measures Go's exec of /bin/true with par in flight, per spawn.
func spawnFloor(tb testing.TB, n, par int) time.Duration {
	start := time.Now()
	var wg sync.WaitGroup
	jobs := make(chan struct{}, n)
	for range n {
		jobs <- struct{}{}
	}
	close(jobs)
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				if err := exec.Command("/bin/true").Run(); err != nil {
					tb.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start) / time.Duration(n)
}

func runOnce(tb testing.TB, wf *wfv1.Workflow) *wfv1.Workflow {
	ctx := context.Background()
	l, err := Start(ctx, Options{Self: binary})
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	sub, err := l.Engine.Submit(ctx, wf)
	if err != nil {
		tb.Fatal(err)
	}
	final, err := l.Engine.Wait(ctx, sub.Metadata.UID)
	if err != nil {
		tb.Fatal(err)
	}
	if final.Status.Phase != wfv1.PhaseSucceeded {
		tb.Fatalf("workflow %s: %s", final.Status.Phase, final.Status.Message)
	}
	return final
}

// BenchmarkDAG1000 runs a 1,000-task DAG of `true` steps at parallelism 8
// and reports the wall time per step beside the spawn floor measured in the
// same run (1,000 spawns of /bin/true, 8 in flight).
func BenchmarkDAG1000(b *testing.B) {
	wf := parseWorkflow(b, wideDAG(1000, 8))
	floor := spawnFloor(b, 1000, 8)
	b.ResetTimer()
	var total time.Duration
	for range b.N {
		start := time.Now()
		runOnce(b, wf)
		total += time.Since(start)
	}
	perStep := total / time.Duration(b.N*1000)
	b.ReportMetric(float64(perStep.Microseconds())/1000, "ms/step")
	b.ReportMetric(float64(floor.Microseconds())/1000, "floor-ms/spawn")
	b.ReportMetric(float64(perStep-floor)/float64(floor), "engine/floor")
}

// loopWorkflow is one steps template fanning out to n `true` steps, 8 at a
// time: n+2 nodes.
func loopWorkflow(n int) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: nodes-}
spec:
  entrypoint: main
  parallelism: 8
  templates:
  - name: main
    steps:
    - - {name: s, template: noop, withSequence: {count: "%d"}}
  - {name: noop, container: {image: x, command: ["true"]}}
`, n)
}

// peakRSS reads the process's high-water resident set size, in bytes.
func peakRSS(tb testing.TB) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb int64
			_, _ = fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%d", &kb)
			return kb << 10
		}
	}
	tb.Fatal("no VmHWM")
	return 0
}

// BenchmarkNodes runs workflows of 1,000 and 10,000 steps and reports the
// peak RSS of the whole process (engine, store and the Go test harness)
// and the heap retained per node by the finished workflow, to show that
// memory grows linearly. Run the sizes in increasing order: VmHWM only
// grows.
func BenchmarkNodes(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			wf := parseWorkflow(b, loopWorkflow(n))
			for range b.N {
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				start := time.Now()
				final := runOnce(b, wf)
				elapsed := time.Since(start)
				runtime.GC()
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				if len(final.Status.Nodes) != n+2 {
					b.Fatalf("%d nodes, want %d", len(final.Status.Nodes), n+2)
				}
				b.ReportMetric(float64(peakRSS(b))/(1<<20), "MiB-peak-RSS")
				b.ReportMetric(float64(int64(after.HeapInuse)-int64(before.HeapInuse))/float64(n+2), "B-heap/node")
				b.ReportMetric(float64(elapsed.Microseconds())/1000/float64(n), "ms/step")
				runtime.KeepAlive(final)
			}
		})
	}
}
