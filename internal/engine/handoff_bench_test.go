package engine_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/testkit"
)

// startClock is heldExec that tells when each step was handed to it.
type startClock struct {
	heldExec
	starts chan string
}

func (x *startClock) Start(j executor.Job) error {
	err := x.heldExec.Start(j)
	x.starts <- j.Key
	return err
}

// BenchmarkEngineHandoff is the engine's part of a lock handoff, with
// no process: from the holder's step reported ended to the next holder's
// step handed to the executor (its round stored first), 100 workflows
// queued on a mutex.
func BenchmarkEngineHandoff(b *testing.B) {
	ctx := context.Background()
	var gaps []time.Duration
	for range b.N {
		x := &startClock{starts: make(chan string, 200)}
		eng := testkit.NewEngine(b, testkit.OpenStore(b), func(started func(string, time.Time), done func(string, *executor.Result)) engine.Executor {
			x.started, x.done = started, done
			return x
		})
		for i := range 100 {
			wf := testkit.ParseWorkflow(b, fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: h%03d}
spec:
  entrypoint: main
  synchronization: {mutex: {name: m}}
  templates:
  - {name: main, container: {image: x, command: ["true"]}}
`, i))
			if _, err := eng.Submit(ctx, wf); err != nil {
				b.Fatal(err)
			}
		}
		key := <-x.starts
		for range 99 {
			// Let the holder's start be recorded before it ends, as a
			// real step's would be.
			time.Sleep(2 * time.Millisecond)
			t0 := time.Now()
			x.end(key)
			select {
			case key = <-x.starts:
			case <-time.After(30 * time.Second):
				b.Fatal("no handoff")
			}
			gaps = append(gaps, time.Since(t0))
		}
		x.end(key)
		eng.Drain()
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
	b.ReportMetric(float64(gaps[len(gaps)/2].Microseconds())/1000, "ms-median")
	b.ReportMetric(float64(gaps[len(gaps)*99/100].Microseconds())/1000, "ms-p99")
}
