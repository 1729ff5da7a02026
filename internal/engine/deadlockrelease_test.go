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

// lowered is a workflow whose main template holds outer while its first
// step (held by the test) runs, then asks for inner in a child.
func lowered(name, outer, inner string) string {
	return `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: ` + name + `}
spec:
  entrypoint: main
  templates:
  - name: main
    synchronization: ` + outer + `
    steps:
    - [{name: pause, template: work}]
    - [{name: take, template: take}]
  - name: work
    container: {image: x, command: ["true"]}
  - name: take
    synchronization: ` + inner + `
    container: {image: x, command: ["true"]}
`
}

const (
	semS  = "{semaphores: [{configMapKeyRef: {name: lim, key: s}}]}"
	mutex = "{mutexes: [{name: m}]}"
)

func limCM(v string) *wfv1.ConfigMap {
	cm := &wfv1.ConfigMap{Data: map[string]string{"s": v}}
	cm.APIVersion, cm.Kind = "v1", wfv1.KindConfigMap
	cm.Metadata.Name, cm.Metadata.Namespace = "lim", "default"
	return cm
}

// stepOf waits for the running step of uid.
func stepOf(t *testing.T, he *testkit.HeldExec, uid string) string {
	t.Helper()
	return he.WaitRunning(t, uid)
}

// A cycle that closes on a release, not on a new wait: semaphore s
// (limit 2, lowered to 1 while three hold it) is held by wf3 and wf1;
// wf1 waits for mutex m, held by wf2, which waits for s. While wf3
// holds s, wf3 will release it and nothing is stuck; its release leaves
// wf1 the only holder of a full s, and the cycle is closed. The detector
// must look then (hostile finding 2), and the message names every holder
// of the semaphore the victim waits for.
func TestDeadlockClosedByRelease(t *testing.T) {
	ctx := context.Background()
	s := testkit.OpenStore(t)
	he := testkit.NewHeldExec()
	eng := testkit.NewEngine(t, s, he.Executor)
	if err := eng.Apply(ctx, []*wfv1.ConfigMap{limCM("2")}, nil); err != nil {
		t.Fatal(err)
	}
	w3, err := eng.Submit(ctx, testkit.ParseWorkflow(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: wf3}
spec:
  entrypoint: main
  templates:
  - name: main
    synchronization: `+semS+`
    container: {image: x, command: ["true"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	hold3 := stepOf(t, he, w3.Metadata.UID)
	w1, err := eng.Submit(ctx, testkit.ParseWorkflow(t, lowered("wf1", semS, mutex)))
	if err != nil {
		t.Fatal(err)
	}
	pause1 := stepOf(t, he, w1.Metadata.UID)
	time.Sleep(10 * time.Millisecond) // wf2 is the younger
	w2, err := eng.Submit(ctx, testkit.ParseWorkflow(t, lowered("wf2", mutex, semS)))
	if err != nil {
		t.Fatal(err)
	}
	pause2 := stepOf(t, he, w2.Metadata.UID)
	if err := eng.SetLockLimit(ctx, engine.SyncLimit{Namespace: "default", CmName: "lim", Key: "s"}, 1); err != nil {
		t.Fatal(err)
	}
	he.Succeed(pause1)
	he.Succeed(pause2)
	waitUntilWaiting(t, eng, "wf1")
	waitSemWaiting(t, eng, "wf2")
	// Not yet a deadlock: wf3 holds s and will release it.
	time.Sleep(200 * time.Millisecond)
	if wf, _ := eng.Get(ctx, "default", "wf2"); wf.Status.Phase == wfv1.PhaseFailed {
		t.Fatalf("wf2 failed while wf3 could still release s: %q", wf.Status.Message)
	}
	he.Succeed(hold3)
	closed := time.Now()
	young := waitEnded(t, eng, w2.Metadata.UID, 5*time.Second)
	took := time.Since(closed)
	if young.Status.Phase != wfv1.PhaseFailed {
		t.Fatalf("wf2 ended %s %q, want Failed by the deadlock detector", young.Status.Phase, young.Status.Message)
	}
	if !strings.Contains(young.Status.Message, "deadlock: ") || !strings.Contains(young.Status.Message, "semaphore default/ConfigMap/lim/s held by default/wf1") {
		t.Fatalf("wf2's message does not name the cycle: %q", young.Status.Message)
	}
	if took > time.Second {
		t.Errorf("cycle broken %s after the release, want within 1 s", took)
	}
	he.Succeed(stepOf(t, he, w1.Metadata.UID))
	if old := waitEnded(t, eng, w1.Metadata.UID, 5*time.Second); old.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("wf1 ended %s %q, want Succeeded", old.Status.Phase, old.Status.Message)
	}
}

// A semaphore of limit 2 nested in itself, two runs at once: each holds
// one permit and waits for the other's. The message names both holders
// of the semaphore, not only the victim's own, and the victim is the
// younger run (hostile finding 7).
func TestDeadlockNamesEveryHolder(t *testing.T) {
	ctx := context.Background()
	s := testkit.OpenStore(t)
	he := testkit.NewHeldExec()
	eng := testkit.NewEngine(t, s, he.Executor)
	if err := eng.Apply(ctx, []*wfv1.ConfigMap{limCM("2")}, nil); err != nil {
		t.Fatal(err)
	}
	n1, err := eng.Submit(ctx, testkit.ParseWorkflow(t, lowered("n1", semS, semS)))
	if err != nil {
		t.Fatal(err)
	}
	p1 := stepOf(t, he, n1.Metadata.UID)
	time.Sleep(10 * time.Millisecond)
	n2, err := eng.Submit(ctx, testkit.ParseWorkflow(t, lowered("n2", semS, semS)))
	if err != nil {
		t.Fatal(err)
	}
	p2 := stepOf(t, he, n2.Metadata.UID)
	he.Succeed(p1)
	waitSemWaiting(t, eng, "n1")
	he.Succeed(p2)
	young := waitEnded(t, eng, n2.Metadata.UID, 5*time.Second)
	msg := young.Status.Message
	if young.Status.Phase != wfv1.PhaseFailed || !strings.Contains(msg, "deadlock: ") {
		t.Fatalf("n2 ended %s %q, want Failed by the deadlock detector", young.Status.Phase, msg)
	}
	i := strings.Index(msg, "semaphore default/ConfigMap/lim/s held by ")
	if i < 0 {
		t.Fatalf("no holders named: %q", msg)
	}
	held := msg[i:]
	if !strings.Contains(held, "default/n1") || !strings.Contains(held, "default/n2") {
		t.Fatalf("the message names not every holder of the semaphore (want n1 and n2): %q", msg)
	}
	he.Succeed(stepOf(t, he, n1.Metadata.UID))
	waitEnded(t, eng, n1.Metadata.UID, 5*time.Second)
}

// waitSemWaiting waits until workflow name has a node waiting for a
// semaphore.
func waitSemWaiting(t *testing.T, eng *engine.Engine, name string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		wf, err := eng.Get(context.Background(), "default", name)
		if err != nil {
			t.Fatal(err)
		}
		if s := wf.Status.Synchronization; s != nil && s.Semaphore != nil && len(s.Semaphore.Waiting) > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s never waited for a semaphore", name)
}
