package engine_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

// checkingExec is an executor that, before "running" a step, checks that
// the store already records the step's node; it then reports success.
type checkingExec struct {
	t       *testing.T
	db      store.Store
	started func(string, time.Time)
	done    func(string, *executor.Result)
	mu      sync.Mutex
	seen    map[string]int
}

func (c *checkingExec) Start(j executor.Job) error {
	uid, nodeID, _ := strings.Cut(j.Key, "/")
	ctx := context.Background()
	err := c.db.View(ctx, func(tx store.Tx) error {
		wf, err := tx.GetWorkflowByUID(ctx, uid)
		if err != nil {
			return err
		}
		n, ok := wf.Status.Nodes[nodeID]
		if !ok || n.Phase != wfv1.PhasePending {
			return fmt.Errorf("node %s is %q in the store when its step is spawned, want Pending", nodeID, n.Phase)
		}
		return nil
	})
	if err != nil {
		c.t.Error(err)
	}
	c.mu.Lock()
	c.seen[j.Key]++
	if c.seen[j.Key] > 1 {
		c.t.Errorf("step %s spawned twice", j.Key)
	}
	c.mu.Unlock()
	go func() {
		c.started(j.Key, time.Now())
		now := time.Now()
		c.done(j.Key, &executor.Result{Stdout: "ok\n", Started: now, Finished: now})
	}()
	return nil
}

func (c *checkingExec) Kill(string, string) {}
func (c *checkingExec) Close() error        { return nil }
func (c *checkingExec) Detach()             {}

func TestStepIsRecordedBeforeItIsSpawned(t *testing.T) {
	db := testkit.OpenStore(t)
	ce := &checkingExec{t: t, db: db, seen: map[string]int{}}
	eng := testkit.NewEngine(t, db, func(started func(string, time.Time), done func(string, *executor.Result)) engine.Executor {
		ce.started, ce.done = started, done
		return ce
	})
	final := testkit.RunWorkflow(t, eng, testkit.ParseWorkflow(t, wideDAG(50, 4)))
	eng.Drain()
	if len(ce.seen) != 50 {
		t.Fatalf("%d steps spawned, want 50", len(ce.seen))
	}
	// What the store holds is what Wait returned: every node final.
	for _, n := range final.Status.Nodes {
		if n.Phase != wfv1.PhaseSucceeded {
			t.Fatalf("node %s stored as %s", n.Name, n.Phase)
		}
	}
}
