package engine_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/testkit"
)

// terminatingExec asks to terminate the workflow as its first step is
// spawned, as a user would while a large loop is being launched; its
// steps run until killed.
type terminatingExec struct {
	eng     *engine.Engine
	done    func(string, *executor.Result)
	mu      sync.Mutex
	started int
}

func (x *terminatingExec) Start(j executor.Job) error {
	x.mu.Lock()
	x.started++
	first := x.started == 1
	x.mu.Unlock()
	if first {
		uid, _, _ := strings.Cut(j.Key, "/")
		x.eng.Stop(uid, true, "terminated by request")
	}
	return nil
}

func (x *terminatingExec) Kill(key, reason string) {
	go func() {
		now := time.Now()
		x.done(key, &executor.Result{ExitCode: 143, Killed: reason, Started: now, Finished: now})
	}()
}
func (x *terminatingExec) Close() error { return nil }
func (x *terminatingExec) Detach()      {}

// A terminate that comes while a round launches thousands of steps stops
// the launching: the rest are failed, not started only to be killed.
func TestTerminateStopsLaunchingARound(t *testing.T) {
	ctx := context.Background()
	x := &terminatingExec{}
	eng := testkit.NewEngine(t, testkit.OpenStore(t), func(_ func(string, time.Time), done func(string, *executor.Result)) engine.Executor {
		x.done = done
		return x
	})
	x.eng = eng
	wf := testkit.ParseWorkflow(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: wide}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: many, template: sleep, withSequence: {count: "2000"}}
  - name: sleep
    container: {image: x, command: [sleep, "60"]}
`)
	sub, err := eng.Submit(ctx, wf)
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	final, err := eng.Wait(wctx, sub.Metadata.UID)
	if err != nil {
		t.Fatal(err)
	}
	eng.Drain()
	x.mu.Lock()
	started := x.started
	x.mu.Unlock()
	if final.Status.Phase != wfv1.PhaseFailed || final.Status.Message != "terminated by request" {
		t.Fatalf("phase %s (%s), want Failed by the terminate", final.Status.Phase, final.Status.Message)
	}
	if started > 10 {
		t.Fatalf("%d of 2000 steps spawned after the terminate came with the first", started)
	}
	for _, n := range final.Status.Nodes {
		if n.Phase != wfv1.PhaseFailed && n.Phase != wfv1.PhaseSkipped {
			t.Fatalf("node %s is %s in a terminated workflow", n.Name, n.Phase)
		}
	}
}
