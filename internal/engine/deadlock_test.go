package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/testkit"
)

// crossed holds mutex first for its whole main template while its first
// step (held by the test) runs, then asks for mutex second in a child:
// beside its mirror image, a cycle through node-level holds, which only
// the nodes each waiter runs under reveal.
func crossed(name, first, second string) string {
	return `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: ` + name + `}
spec:
  entrypoint: main
  templates:
  - name: main
    synchronization: {mutexes: [{name: ` + first + `}]}
    steps:
    - [{name: hold, template: work}]
    - [{name: take, template: take}]
  - name: work
    container: {image: x, command: ["true"]}
  - name: take
    synchronization: {mutexes: [{name: ` + second + `}]}
    container: {image: x, command: ["true"]}
`
}

// waitUntilWaiting waits until workflow name has a node waiting for a
// mutex.
func waitUntilWaiting(t *testing.T, eng *engine.Engine, name string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		wf, err := eng.Get(context.Background(), "default", name)
		if err != nil {
			t.Fatal(err)
		}
		if s := wf.Status.Synchronization; s != nil && s.Mutex != nil && len(s.Mutex.Waiting) > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s never waited for a mutex", name)
}

// waitEnded waits for a workflow's end, failing the test after within.
func waitEnded(t *testing.T, eng *engine.Engine, uid string, within time.Duration) *wfv1.Workflow {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	wf, err := eng.Wait(ctx, uid)
	if err != nil {
		t.Fatalf("workflow %s did not end within %s: %v", uid, within, err)
	}
	return wf
}

// checkBroken says the younger workflow failed naming the cycle and the
// older one then got its lock and succeeded.
func checkBroken(t *testing.T, young, old *wfv1.Workflow) {
	t.Helper()
	if young.Status.Phase != wfv1.PhaseFailed {
		t.Fatalf("the youngest waiter's workflow ended %s %q, want Failed", young.Status.Phase, young.Status.Message)
	}
	var msg string
	for _, n := range young.Status.Nodes {
		if strings.HasPrefix(n.Message, "deadlock: ") {
			msg = n.Message
		}
	}
	if !strings.Contains(msg, "waits for mutex default/Mutex/a held by default/wf-ab") ||
		!strings.Contains(msg, "for mutex default/Mutex/b held by default/wf-ba") ||
		!strings.Contains(msg, "failed the youngest waiter, default/wf-ba") {
		t.Fatalf("no node of the failed workflow names the cycle: %q", msg)
	}
	if old.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("the older workflow ended %s %q, want Succeeded", old.Status.Phase, old.Status.Message)
	}
}

// A cycle through node-level holds that formed while its engine could
// not look (it died at that moment) is found by the next engine on the
// store: the nodes each waiter runs under are stored with it, and a
// resumed engine checks the queues it rebuilt.
func TestDeadlockFoundAfterRestart(t *testing.T) {
	ctx := context.Background()
	s := testkit.OpenStore(t)
	he1 := testkit.NewHeldExec()
	first := testkit.NewEngine(t, s, he1.Executor)
	engine.HoldDeadlockChecks(first)
	ab, err := first.Submit(ctx, testkit.ParseWorkflow(t, crossed("wf-ab", "a", "b")))
	if err != nil {
		t.Fatal(err)
	}
	ba, err := first.Submit(ctx, testkit.ParseWorkflow(t, crossed("wf-ba", "b", "a")))
	if err != nil {
		t.Fatal(err)
	}
	// Both hold their first mutex before either asks for its second.
	abHold, baHold := he1.WaitRunning(t, ab.Metadata.UID), he1.WaitRunning(t, ba.Metadata.UID)
	he1.Succeed(abHold)
	he1.Succeed(baHold)
	waitUntilWaiting(t, first, "wf-ab")
	waitUntilWaiting(t, first, "wf-ba")
	first.Detach()

	he2 := testkit.NewHeldExec()
	second := testkit.NewEngine(t, s, he2.Executor)
	start := time.Now()
	if _, err := second.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	young := waitEnded(t, second, ba.Metadata.UID, 5*time.Second)
	took := time.Since(start)
	he2.Succeed(he2.WaitRunning(t, ab.Metadata.UID))
	checkBroken(t, young, waitEnded(t, second, ab.Metadata.UID, 5*time.Second))
	t.Logf("cycle broken %s after the restart", took.Round(time.Millisecond))
}

// Two engines on one PostgreSQL database, each running one side of the
// A->B/B->A cycle through node-level holds. The older workflow's engine
// closes the cycle; the younger's waiter is the victim, and only its own
// engine may fail it: it finds the cycle in the stored state at its
// waiters' poll (every 2 s), with the nodes the other engine's waiter
// runs under read from the store. The other workflow then completes.
func TestDeadlockAcrossNodes(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	ctx := context.Background()
	a := startNode(t, dsn, "a")
	b := startNode(t, dsn, "b")
	ab, err := a.eng.Submit(ctx, testkit.ParseWorkflow(t, crossed("wf-ab", "a", "b")))
	if err != nil {
		t.Fatal(err)
	}
	ba, err := b.eng.Submit(ctx, testkit.ParseWorkflow(t, crossed("wf-ba", "b", "a")))
	if err != nil {
		t.Fatal(err)
	}
	abHold := a.he.WaitRunningWithin(t, ab.Metadata.UID, 10*time.Second)
	b.he.Succeed(b.he.WaitRunningWithin(t, ba.Metadata.UID, 10*time.Second))
	waitUntilWaiting(t, b.eng, "wf-ba")
	a.he.Succeed(abHold)
	closed := time.Now()
	young := waitEnded(t, b.eng, ba.Metadata.UID, 10*time.Second)
	took := time.Since(closed)
	if got := young.Metadata.Labels[engine.LabelNode]; got != "b" {
		t.Errorf("the failed workflow ran on node %q, want b (its own)", got)
	}
	a.he.Succeed(a.he.WaitRunningWithin(t, ab.Metadata.UID, 10*time.Second))
	old := waitEnded(t, a.eng, ab.Metadata.UID, 10*time.Second)
	checkBroken(t, young, old)
	if old.Metadata.Labels[engine.LabelNode] != "a" {
		t.Errorf("the older workflow ran on node %q, want a", old.Metadata.Labels[engine.LabelNode])
	}
	// The poll is every 2 s; one more for a loaded machine.
	if took > 3*time.Second {
		t.Errorf("cycle broken %s after it closed, want within ~2 s (the shared poll)", took)
	}
	t.Logf("cycle closed on node a, broken by node b %s later", took.Round(time.Millisecond))
}
