package engine_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/testkit"
)

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDrainEngine is BenchmarkDrain1000 without processes: 1,000
// one-step workflows through a semaphore of limit 10, each step ending as
// soon as it starts (quickExec), so what it measures is the engine's and
// the store's own work per workflow, by CPU time, which other load on the
// machine moves less than wall time.
func BenchmarkDrainEngine(b *testing.B) {
	const n = 1000
	ctx := context.Background()
	f := spec.Parse("q.yaml", []byte(fmt.Sprintf(semaphoreWorkflow, 10)), spec.Options{})
	if d := f.AllDiags(); d.HasErrors() {
		b.Fatal(d)
	}
	var cpu time.Duration
	for range b.N {
		b.StopTimer()
		eng := testkit.NewEngine(b, testkit.OpenStore(b), func(started func(string, time.Time), done func(string, *executor.Result)) engine.Executor {
			return &quickExec{started: started, done: done}
		})
		if err := eng.Apply(ctx, []*wfv1.ConfigMap{f.Docs[0].ConfigMap}, nil); err != nil {
			b.Fatal(err)
		}
		wfs := make([]*wfv1.Workflow, n)
		for i := range wfs {
			wfs[i] = f.Docs[1].Workflow
		}
		b.StartTimer()
		before := cpuTime()
		subs, err := eng.SubmitAll(ctx, wfs)
		if err != nil {
			b.Fatal(err)
		}
		// Waiters taken at once, as run takes them: a workflow that ends
		// before its turn hands over its final state from memory.
		waits := make([]func(context.Context) (*wfv1.Workflow, bool, error), len(subs))
		for i, s := range subs {
			waits[i] = eng.Waiter(s.Metadata.UID)
		}
		for _, wait := range waits {
			wf, _, err := wait(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if wf.Status.Phase != wfv1.PhaseSucceeded {
				b.Fatalf("%s: %s %s", wf.Metadata.Name, wf.Status.Phase, wf.Status.Message)
			}
		}
		cpu += cpuTime() - before
		b.StopTimer()
		eng.Drain()
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N*n), "cpu-ms/workflow")
}
