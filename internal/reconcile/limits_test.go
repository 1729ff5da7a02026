package reconcile

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/spec"
)

// unchecked parses a workflow without lint, as the engine may meet one
// whose loop size only shows at run time (withParam, a parameter).
func unchecked(t *testing.T, src string) (*wfv1.Workflow, Resolver) {
	t.Helper()
	f := spec.Parse("test.yaml", []byte(src), spec.Options{})
	set := spec.NewSet(f)
	for _, d := range f.Docs {
		if d.Workflow != nil {
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			d.Workflow.Metadata.CreationTimestamp = &start
			return d.Workflow, set
		}
	}
	t.Fatalf("no workflow in:\n%s", src)
	return nil, nil
}

// within runs f and fails the test if it takes longer than d: a runaway
// manifest must end in a bounded time, not spin.
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		f()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not finish within %s", what, d)
	}
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestSequenceOverLoopLimitFailsWithoutExpanding(t *testing.T) {
	wf, res := unchecked(t, header+`  entrypoint: main
  arguments: {parameters: [{name: n, value: "1000000"}]}
  templates:
  - name: main
    steps:
    - - {name: many, template: echo, withSequence: {count: "{{workflow.parameters.n}}"}}
  - name: echo
    container: {image: x, command: ["true"]}
`)
	var plan *Plan
	within(t, 10*time.Second, "reconcile of a 1,000,000-item withSequence", func() {
		plan = Reconcile(wf, nil, t0, res)
	})
	if wf.Status.Phase != wfv1.PhaseFailed || !plan.Done {
		t.Fatalf("phase %s (done %v), want Failed: %s", wf.Status.Phase, plan.Done, wf.Status.Message)
	}
	for _, want := range []string{"1000000", "main", fmt.Sprint(spec.DefaultLimits.MaxLoopItems), "max-loop-items"} {
		if !strings.Contains(wf.Status.Message, want) {
			t.Errorf("message %q does not name %q", wf.Status.Message, want)
		}
	}
	if len(plan.Start) != 0 || len(wf.Status.Nodes) > 10 {
		t.Fatalf("%d steps started and %d nodes made for a loop over the limit", len(plan.Start), len(wf.Status.Nodes))
	}
}

func TestParamLoopOverLimitFailsAndReleasesWorkflowLock(t *testing.T) {
	n := spec.DefaultLimits.MaxLoopItems + 1
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprint(i)
	}
	wf, res := unchecked(t, header+`  entrypoint: main
  synchronization: {mutex: {name: big}}
  arguments: {parameters: [{name: list, value: '[`+strings.Join(items, ",")+`]'}]}
  templates:
  - name: main
    steps:
    - - {name: fan, template: echo, withParam: "{{workflow.parameters.list}}"}
  - name: echo
    container: {image: x, command: ["true"]}
`)
	plan := Reconcile(wf, nil, t0, res)
	if len(plan.Acquire) != 1 {
		t.Fatalf("want the workflow's lock requested first, got %+v", plan.Acquire)
	}
	holder := plan.Acquire[0].Holder
	plan = Reconcile(wf, []Event{{Kind: LockGranted, Holder: holder, Tokens: []domain.Token{{Lock: "default/Mutex/big", Value: 1}}, At: t0}}, t0, res)
	if wf.Status.Phase != wfv1.PhaseFailed {
		t.Fatalf("phase %s, want Failed: %s", wf.Status.Phase, wf.Status.Message)
	}
	if !strings.Contains(wf.Status.Message, fmt.Sprintf("%d items", n)) || !strings.Contains(wf.Status.Message, "max-loop-items") {
		t.Fatalf("message %q names neither the size nor the limit", wf.Status.Message)
	}
	released := false
	for _, h := range plan.Release {
		released = released || h == holder
	}
	if !released {
		t.Fatalf("the workflow's lock %s is not released: %v", holder, plan.Release)
	}
}

func TestBinaryRecursionStopsAtNodeLimit(t *testing.T) {
	wf, res := unchecked(t, header+`  entrypoint: fork
  templates:
  - name: fork
    steps:
    - - {name: left, template: fork}
      - {name: right, template: fork}
`)
	var plan *Plan
	within(t, 20*time.Second, "reconcile of a template that calls itself twice", func() {
		// Its names would pass the default max-node-name-bytes first.
		plan = ReconcileWith(wf, nil, t0, res, spec.Limits{MaxNodeNameBytes: 1 << 30})
	})
	if wf.Status.Phase != wfv1.PhaseFailed || !plan.Done {
		t.Fatalf("phase %s, want Failed: %s", wf.Status.Phase, wf.Status.Message)
	}
	for _, want := range []string{`"fork"`, fmt.Sprint(spec.DefaultLimits.MaxNodes), "max-nodes"} {
		if !strings.Contains(wf.Status.Message, want) {
			t.Errorf("message %q does not name %s", wf.Status.Message, want)
		}
	}
	if len(wf.Status.Nodes) > spec.DefaultLimits.MaxNodes {
		t.Fatalf("%d nodes, over the limit of %d", len(wf.Status.Nodes), spec.DefaultLimits.MaxNodes)
	}
	for id, n := range wf.Status.Nodes {
		if !fulfilled(&n) {
			t.Fatalf("node %s (%s) left %s in a failed workflow", id, n.Name, n.Phase)
		}
	}
}

func TestConfiguredLimits(t *testing.T) {
	wf, res := unchecked(t, header+`  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: few, template: echo, withItems: [a, b, c, d]}
  - name: echo
    container: {image: x, command: ["true"]}
`)
	ReconcileWith(wf, nil, t0, res, spec.Limits{MaxLoopItems: 3})
	if wf.Status.Phase != wfv1.PhaseFailed || !strings.Contains(wf.Status.Message, "4 items") ||
		!strings.Contains(wf.Status.Message, "limit of 3") {
		t.Fatalf("phase %s, message %q: want Failed naming 4 items and the limit of 3", wf.Status.Phase, wf.Status.Message)
	}

	wf, res = unchecked(t, header+`  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: few, template: echo, withItems: [a, b, c, d]}
  - name: echo
    container: {image: x, command: ["true"]}
`)
	plan := ReconcileWith(wf, nil, t0, res, spec.Limits{MaxNodes: 4})
	if wf.Status.Phase != wfv1.PhaseFailed || !strings.Contains(wf.Status.Message, "limit of 4 nodes") {
		t.Fatalf("phase %s, message %q: want Failed naming the limit of 4 nodes", wf.Status.Phase, wf.Status.Message)
	}
	if len(wf.Status.Nodes) > 4 || len(plan.Start) != 0 {
		t.Fatalf("%d nodes, %d started; want at most 4 nodes and nothing started in a failed workflow", len(wf.Status.Nodes), len(plan.Start))
	}
}

// A limit met while a step runs kills the step; the workflow ends Failed
// with the limit's message once the step is gone, releasing its lock.
func TestLimitKillsRunningStepsThenFails(t *testing.T) {
	wf, res := unchecked(t, header+`  entrypoint: main
  arguments: {parameters: [{name: n, value: "3"}]}
  templates:
  - name: main
    steps:
    - - {name: first, template: gen}
    - - {name: slow, template: sleep}
        # the size is known only from the first step's output
      - {name: fan, template: echo, withSequence: {count: "{{steps.first.outputs.result}}"}}
  - name: gen
    container: {image: x, command: [echo, "5"]}
  - name: sleep
    synchronization: {mutex: {name: m}}
    container: {image: x, command: [sleep, "60"]}
  - name: echo
    container: {image: x, command: ["true"]}
`)
	lim := spec.Limits{MaxLoopItems: 4}
	plan := ReconcileWith(wf, nil, t0, res, lim)
	if len(plan.Start) != 1 {
		t.Fatalf("want the first step started, got %d", len(plan.Start))
	}
	first := plan.Start[0].NodeID
	plan = ReconcileWith(wf, []Event{{Kind: StepExited, NodeID: first, At: t0,
		Result: &domain.StepResult{Stdout: "5\n", Started: t0, Finished: t0}}}, t0, res, lim)
	// slow waits for its mutex and fan is over the limit: slow's request
	// ends, nothing starts.
	if wf.Status.Phase != wfv1.PhaseFailed || !strings.Contains(wf.Status.Message, "limit of 4") {
		t.Fatalf("phase %s, message %q: want Failed naming the limit", wf.Status.Phase, wf.Status.Message)
	}
	if len(plan.Start) != 0 {
		t.Fatalf("%d steps started by a failing workflow", len(plan.Start))
	}
	holders := map[string]bool{}
	for _, h := range plan.Release {
		holders[h] = true
	}
	for _, a := range plan.Acquire {
		if !holders[a.Holder] {
			t.Fatalf("lock request of %s is not released: %v", a.Holder, plan.Release)
		}
	}
}

func TestRunningStepIsKilledWhenLimitMet(t *testing.T) {
	wf, res := unchecked(t, header+`  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: slow, template: sleep}
      - {name: gen, template: gen}
      - {name: fan, depends: gen, template: echo, withSequence: {count: "{{tasks.gen.outputs.result}}"}}
  - name: gen
    container: {image: x, command: [echo, "5"]}
  - name: sleep
    container: {image: x, command: [sleep, "60"]}
  - name: echo
    container: {image: x, command: ["true"]}
`)
	lim := spec.Limits{MaxLoopItems: 4}
	plan := ReconcileWith(wf, nil, t0, res, lim)
	ids := map[string]string{}
	for _, l := range plan.Start {
		ids[l.NodeName] = l.NodeID
	}
	slow, gen := ids["wf.slow"], ids["wf.gen"]
	if slow == "" || gen == "" {
		t.Fatalf("started %v, want slow and gen", ids)
	}
	ReconcileWith(wf, []Event{{Kind: StepStarted, NodeID: slow, At: t0}, {Kind: StepStarted, NodeID: gen, At: t0}}, t0, res, lim)
	plan = ReconcileWith(wf, []Event{{Kind: StepExited, NodeID: gen, At: t0,
		Result: &domain.StepResult{Stdout: "5\n", Started: t0, Finished: t0}}}, t0, res, lim)
	if _, ok := plan.Kill[slow]; !ok {
		t.Fatalf("the running step is not killed when the limit is met: kill %v", plan.Kill)
	}
	if len(plan.Start) != 0 {
		t.Fatalf("%d steps started after the limit was met", len(plan.Start))
	}
	plan = ReconcileWith(wf, []Event{{Kind: StepExited, NodeID: slow, At: t0,
		Result: &domain.StepResult{ExitCode: 137, Killed: plan.Kill[slow], Started: t0, Finished: t0}}}, t0, res, lim)
	if wf.Status.Phase != wfv1.PhaseFailed || !plan.Done || !strings.Contains(wf.Status.Message, "limit of 4") {
		t.Fatalf("phase %s (done %v), message %q: want Failed naming the limit", wf.Status.Phase, plan.Done, wf.Status.Message)
	}
}

// One reconcile of a loop is linear in its size: launching each item
// once, and counting a template's unfinished children for its
// parallelism, must not rescan what was already planned.
func TestLargeLoopReconcileIsLinear(t *testing.T) {
	const n = 20000
	wf, res := unchecked(t, header+fmt.Sprintf(`  entrypoint: main
  templates:
  - name: main
    parallelism: %d
    steps:
    - - {name: many, template: echo, withSequence: {count: "%d"}}
  - name: echo
    container: {image: x, command: ["true"]}
`, n, n))
	var plan *Plan
	within(t, 30*time.Second, fmt.Sprintf("reconcile of a %d-item loop", n), func() {
		plan = ReconcileWith(wf, nil, t0, res, spec.Limits{MaxLoopItems: n, MaxNodes: n + 10})
	})
	if len(plan.Start) != n || wf.Status.Phase != wfv1.PhaseRunning {
		t.Fatalf("%d started, phase %s (%s); want %d started", len(plan.Start), wf.Status.Phase, wf.Status.Message, n)
	}
	ids := map[string]bool{}
	for _, l := range plan.Start {
		ids[l.NodeID] = true
	}
	if len(ids) != n {
		t.Fatalf("%d distinct node IDs for %d items", len(ids), n)
	}
}

func BenchmarkLoopReconcile(b *testing.B) {
	for _, n := range []int{5000, 20000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			src := header + fmt.Sprintf(`  entrypoint: main
  templates:
  - name: main
    parallelism: %d
    steps:
    - - {name: many, template: echo, withSequence: {count: "%d"}}
  - name: echo
    container: {image: x, command: ["true"]}
`, n, n)
			for b.Loop() {
				f := spec.Parse("bench.yaml", []byte(src), spec.Options{})
				wf := f.Docs[0].Workflow
				ReconcileWith(wf, nil, t0, spec.NewSet(f), spec.Limits{})
			}
		})
	}
}

// Terminating a loop with a node limit near: the workflow ends, its
// message stays the terminate's, and the items never started make no
// nodes.
func TestTerminatePastNodeLimitKeepsItsMessage(t *testing.T) {
	wf, res := unchecked(t, header+`  entrypoint: main
  parallelism: 1
  templates:
  - name: main
    steps:
    - - {name: few, template: sleep, withItems: [a, b, c, d]}
  - name: sleep
    container: {image: x, command: [sleep, "60"]}
`)
	lim := spec.Limits{MaxNodes: 5}
	plan := ReconcileWith(wf, nil, t0, res, lim)
	if len(plan.Start) != 1 {
		t.Fatalf("%d started, want 1 (parallelism)", len(plan.Start))
	}
	id := plan.Start[0].NodeID
	ReconcileWith(wf, []Event{{Kind: StepStarted, NodeID: id, At: t0}}, t0, res, lim)
	wf.Status.Message = "terminated by request" // as the engine sets it
	plan = ReconcileWith(wf, []Event{{Kind: Terminate, At: t0}}, t0, res, lim)
	if _, ok := plan.Kill[id]; !ok || len(plan.Start) != 0 {
		t.Fatalf("kill %v, start %d: want the running step killed, nothing started", plan.Kill, len(plan.Start))
	}
	plan = ReconcileWith(wf, []Event{{Kind: StepExited, NodeID: id, At: t0,
		Result: &domain.StepResult{ExitCode: 143, Killed: "terminated", Started: t0, Finished: t0}}}, t0, res, lim)
	if wf.Status.Phase != wfv1.PhaseFailed || !plan.Done || wf.Status.Message != "terminated by request" {
		t.Fatalf("phase %s (done %v), message %q; want Failed with the terminate's message", wf.Status.Phase, plan.Done, wf.Status.Message)
	}
	if len(wf.Status.Nodes) > 5 {
		t.Fatalf("%d nodes, over the limit of 5", len(wf.Status.Nodes))
	}
}

// Terminating a large loop writes no node per item never started: with
// tens of thousands, that write alone held the store for seconds.
func TestTerminateMakesNoNodePerUnstartedItem(t *testing.T) {
	wf, res := unchecked(t, header+`  entrypoint: main
  parallelism: 2
  templates:
  - name: main
    steps:
    - - {name: many, template: sleep, withSequence: {count: "10000"}}
  - name: sleep
    container: {image: x, command: [sleep, "60"]}
`)
	plan := Reconcile(wf, nil, t0, res)
	var evs []Event
	for _, l := range plan.Start {
		evs = append(evs, Event{Kind: StepStarted, NodeID: l.NodeID, At: t0})
	}
	Reconcile(wf, evs, t0, res)
	plan = Reconcile(wf, []Event{{Kind: Terminate, At: t0}}, t0, res)
	evs = nil
	for id := range plan.Kill {
		evs = append(evs, Event{Kind: StepExited, NodeID: id, At: t0,
			Result: &domain.StepResult{ExitCode: 143, Killed: "terminated", Started: t0, Finished: t0}})
	}
	plan = Reconcile(wf, evs, t0, res)
	if wf.Status.Phase != wfv1.PhaseFailed || !plan.Done {
		t.Fatalf("phase %s (done %v), want Failed", wf.Status.Phase, plan.Done)
	}
	if len(wf.Status.Nodes) > 10 {
		t.Fatalf("%d nodes after terminating a loop that ran 2 items", len(wf.Status.Nodes))
	}
}
