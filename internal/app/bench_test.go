package app

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
	l, err := OpenLocal(ctx, LocalOptions{Self: binary})
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
