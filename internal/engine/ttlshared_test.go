package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/testkit"
)

// On a shared store any node deletes a workflow whose TTL ran out: the
// node that ran it while it lives, and a node started later when that
// node has stopped meanwhile. The two never trip on each other.
func TestTTLSharedStore(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	ctx := context.Background()
	a := startNode(t, dsn, "a")
	b := startNode(t, dsn, "b")
	a.eng.StartTTL()
	b.eng.StartTTL()
	defer b.eng.Drain()
	run := func(name, ttl string) *wfv1.Workflow {
		t.Helper()
		sub, err := a.eng.Submit(ctx, testkit.ParseWorkflow(t, ttlWorkflow(name, 0, ttl)))
		if err != nil {
			t.Fatal(err)
		}
		a.he.Succeed(a.he.WaitRunning(t, sub.Metadata.UID))
		wf, err := a.eng.Wait(ctx, sub.Metadata.UID)
		if err != nil || wf.Status.Phase != wfv1.PhaseSucceeded {
			t.Fatalf("%s: %v %+v", name, err, wf)
		}
		return wf
	}
	run("while-a-lives", "{secondsAfterCompletion: 0}")
	gone(t, b.eng, "while-a-lives", 5*time.Second)

	left := run("after-a-stopped", "{secondsAfterSuccess: 1}")
	a.eng.Detach()
	if !exists(t, b.eng, "after-a-stopped") {
		t.Fatal("deleted before its time")
	}
	c := startNode(t, dsn, "c")
	c.eng.StartTTL()
	defer c.eng.Drain()
	at := gone(t, c.eng, "after-a-stopped", 10*time.Second)
	if at.Before(left.Status.FinishedAt.Add(time.Second)) {
		t.Fatalf("deleted at %s, before finishedAt + 1s", at)
	}
}
