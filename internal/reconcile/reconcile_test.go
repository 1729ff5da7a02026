package reconcile

import (
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

const header = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: wf}
spec:
`

func TestNodeIDsFollowArgo(t *testing.T) {
	if got := NodeID("wf", "wf"); got != "wf" {
		t.Fatalf("root ID %q, want the workflow name", got)
	}
	// FNV-1a (32 bit) of "wf[0].a", as Argo computes it; the constant was
	// computed independently (Python, by the FNV definition).
	if got := NodeID("wf", "wf[0].a"); got != "wf-3986212215" {
		t.Fatalf("NodeID = %q", got)
	}
}

func TestStepsRunInOrderAndNameNodesLikeArgo(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: a, template: echo}
    - - {name: b, template: echo}
      - {name: c, template: echo}
  - name: echo
    container: {image: x, command: [echo, hi]}
`, succeed)
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s: %s\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
	}
	if s.order[0] != "wf[0].a" || len(s.order) != 3 {
		t.Fatalf("launch order %v", s.order)
	}
	for _, name := range []string{"wf", "wf[0]", "wf[0].a", "wf[1]", "wf[1].b", "wf[1].c"} {
		s.node(name)
	}
	if n := s.node("wf[1]"); n.Type != NodeStepGroup || len(n.Children) != 2 {
		t.Fatalf("group node %+v", n)
	}
	if wf.Status.Progress != "3/3" {
		t.Fatalf("progress %q", wf.Status.Progress)
	}
}

func TestDAGDependsOnFailureAndOmitted(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: A, template: ok}
      - {name: B, depends: A, template: fail}
      - {name: C, depends: A, template: ok}
      - {name: D, depends: "B.Failed && C", template: ok}
      - {name: E, depends: A, template: fail}
      - {name: F, depends: A, template: ok}
      - {name: G, depends: "E && F", template: ok}
  - {name: ok, container: {image: x, command: ["true"]}}
  - {name: fail, container: {image: x, command: ["false"]}}
`, byTemplate(map[string]outcome{"fail": {exit: 1}}))
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseFailed {
		t.Fatalf("phase %s, want Failed (G is omitted after E failed)\n%s", wf.Status.Phase, s.dump())
	}
	if n := s.node("wf.D"); n.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("D ran on B.Failed: %s", n.Phase)
	}
	if n := s.node("wf.G"); n.Phase != wfv1.PhaseOmitted {
		t.Fatalf("G: %s, want Omitted", n.Phase)
	}
	if !strings.Contains(wf.Status.Message, "Error (exit code 1)") {
		t.Fatalf("workflow message %q does not carry the cause", wf.Status.Message)
	}
}

func TestDAGHandledFailureSucceeds(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: A, template: fail}
      - {name: B, depends: A.Failed, template: ok}
  - {name: ok, container: {image: x, command: ["true"]}}
  - {name: fail, container: {image: x, command: ["false"]}}
`, byTemplate(map[string]outcome{"fail": {exit: 1}}))
	if wf := s.run(); wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s, want Succeeded: B handles A's failure\n%s", wf.Status.Phase, s.dump())
	}
}

func TestLoopsAggregateOutputs(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: gen
        template: gen
        arguments: {parameters: [{name: n, value: "{{item}}"}]}
        withItems: [1, 2, 3]
    - - name: use
        template: use
        arguments: {parameters: [{name: v, value: "{{item.out}}"}]}
        withParam: "{{steps.gen.outputs.parameters}}"
        when: "{{item.out}} != 20"
  - name: gen
    inputs: {parameters: [{name: n}]}
    container: {image: x, command: [echo, "{{inputs.parameters.n}}"]}
    outputs: {parameters: [{name: out, valueFrom: {path: /tmp/out}}]}
  - name: use
    inputs: {parameters: [{name: v}]}
    container: {image: x, command: [echo, "{{inputs.parameters.v}}"]}
`, func(l Launch) outcome {
		if l.Template.Name == "gen" {
			a := args(l)
			return outcome{takes: time.Second, outputs: map[string]string{"out": a[len(a)-1] + "0"}}
		}
		return outcome{takes: time.Second}
	})
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s: %s\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
	}
	if n := s.node(`wf[1].use(1:out:20)`); n.Phase != wfv1.PhaseSkipped {
		t.Fatalf("item 20 should be skipped by when: %s", n.Phase)
	}
	if n := s.node(`wf[1].use(2:out:30)`); n.Inputs == nil || *n.Inputs.Parameters[0].Value != "30" {
		t.Fatalf("use(2) inputs %+v", n.Inputs)
	}
	if s.node("wf[0].gen(0:1)").Phase != wfv1.PhaseSucceeded {
		t.Fatal("gen(0:1) missing")
	}
}

func TestRetryBackoffAndLimit(t *testing.T) {
	s := newSim(t, header+`  entrypoint: flaky
  templates:
  - name: flaky
    retryStrategy: {limit: "2", backoff: {duration: "10s", factor: "2"}}
    container: {image: x, command: ["false"]}
`, byTemplate(map[string]outcome{"flaky": {exit: 1}}))
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseFailed || len(s.order) != 3 {
		t.Fatalf("phase %s after %d attempts, want Failed after 3\n%s", wf.Status.Phase, len(s.order), s.dump())
	}
	if n := s.node("wf"); n.Type != NodeRetry || len(n.Children) != 3 {
		t.Fatalf("retry node %+v", n)
	}
	// Attempts end at 1s, then wait 10s, run 1s, wait 20s, run 1s: 33s.
	if got := wf.Status.FinishedAt.Sub(*wf.Status.StartedAt); got != 33*time.Second {
		t.Fatalf("took %v, want 33s of backoff and run time", got)
	}
}

func TestRetrySucceedsOnSecondAttempt(t *testing.T) {
	tries := 0
	s := newSim(t, header+`  entrypoint: flaky
  templates:
  - name: flaky
    retryStrategy: {limit: 5}
    container: {image: x, command: [sh]}
`, func(Launch) outcome {
		tries++
		if tries == 1 {
			return outcome{exit: 2, takes: time.Second}
		}
		return outcome{stdout: "ok\n", takes: time.Second}
	})
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded || tries != 2 {
		t.Fatalf("phase %s after %d tries", wf.Status.Phase, tries)
	}
	if r := s.node("wf").Outputs; r == nil || *r.Result != "ok" {
		t.Fatalf("retry node outputs %+v", r)
	}
}

func TestParallelismCapsRunningSteps(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  parallelism: 2
  templates:
  - name: main
    steps:
    - - {name: s, template: work, withSequence: {count: "7"}}
  - {name: work, container: {image: x, command: ["true"]}}
`, succeed)
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded || s.maxActive != 2 || len(s.order) != 7 {
		t.Fatalf("phase %s, peak %d running, %d launched; want Succeeded, 2, 7", wf.Status.Phase, s.maxActive, len(s.order))
	}
}

func TestExitHandlerSeesStatus(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  onExit: exit
  templates:
  - {name: main, container: {image: x, command: ["false"]}}
  - name: exit
    steps:
    - - {name: cry, template: say, when: "{{workflow.status}} != Succeeded"}
      - {name: cheer, template: say, when: "{{workflow.status}} == Succeeded"}
  - {name: say, container: {image: x, command: [echo, "{{workflow.status}}"]}}
`, byTemplate(map[string]outcome{"main": {exit: 1}}))
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseFailed {
		t.Fatalf("phase %s", wf.Status.Phase)
	}
	if s.node("wf.onExit[0].cry").Phase != wfv1.PhaseSucceeded || s.node("wf.onExit[0].cheer").Phase != wfv1.PhaseSkipped {
		t.Fatalf("exit handler branches wrong:\n%s", s.dump())
	}
}

func TestWorkflowDeadlineKillsAndFails(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  activeDeadlineSeconds: 5
  templates:
  - {name: main, container: {image: x, command: [sleep, "100"]}}
`, func(Launch) outcome { return outcome{takes: 100 * time.Second} })
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseFailed || !strings.Contains(wf.Status.Message, "deadline") {
		t.Fatalf("phase %s message %q", wf.Status.Phase, wf.Status.Message)
	}
	if got := s.now.Sub(*wf.Status.StartedAt); got != 5*time.Second {
		t.Fatalf("ended after %v, want at the 5s deadline", got)
	}
}

func TestTerminateSkipsExitHandlerStopRunsIt(t *testing.T) {
	for _, kind := range []EventKind{Stop, Terminate} {
		s := newSim(t, header+`  entrypoint: main
  onExit: exit
  templates:
  - {name: main, container: {image: x, command: [sleep, "100"]}}
  - {name: exit, container: {image: x, command: ["true"]}}
`, func(l Launch) outcome {
			if l.Template.Name == "main" {
				return outcome{takes: 100 * time.Second}
			}
			return outcome{takes: time.Second}
		})
		s.events = []Event{}
		Reconcile(s.wf, nil, s.now, s.res)
		s.roundTrip()
		s.events = []Event{{Kind: kind, At: s.now}}
		wf := s.run()
		_, ranExit := wf.Status.Nodes[NodeID("wf", "wf.onExit")]
		if wf.Status.Phase != wfv1.PhaseFailed || ranExit != (kind == Stop) {
			t.Fatalf("kind %v: phase %s, exit handler ran %v\n%s", kind, wf.Status.Phase, ranExit, s.dump())
		}
	}
}

func TestMissingInputIsAnErrorNamingIt(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: a, template: needs}
  - name: needs
    inputs: {parameters: [{name: msg}]}
    container: {image: x, command: [echo, "{{inputs.parameters.msg}}"]}
`, succeed)
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseFailed || !strings.Contains(wf.Status.Message, "inputs.parameters.msg was not supplied") {
		t.Fatalf("phase %s message %q", wf.Status.Phase, wf.Status.Message)
	}
}

func TestExpressionHooks(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  hooks:
    started:
      expression: workflow.status == "Running"
      template: note
  templates:
  - name: main
    steps:
    - - name: work
        template: work
        hooks:
          running:
            expression: steps.work.status == "Running"
            template: note
          failed:
            expression: steps.work.status == "Failed"
            template: note
  - {name: work, container: {image: x, command: ["true"]}}
  - {name: note, container: {image: x, command: [echo, note]}}
`, succeed)
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s\n%s", wf.Status.Phase, s.dump())
	}
	s.node("wf.hooks.started")
	s.node("wf[0].work.hooks.running")
	if _, ok := wf.Status.Nodes[NodeID("wf", "wf[0].work.hooks.failed")]; ok {
		t.Fatal("the failed hook ran for a step that succeeded")
	}
}

func TestSuspendWithDuration(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: wait, template: pause}
    - - {name: after, template: work}
  - {name: pause, suspend: {duration: "30s"}}
  - {name: work, container: {image: x, command: ["true"]}}
`, succeed)
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded || s.node("wf[0].wait").Type != NodeSuspend {
		t.Fatalf("phase %s\n%s", wf.Status.Phase, s.dump())
	}
	if got := wf.Status.FinishedAt.Sub(*wf.Status.StartedAt); got != 31*time.Second {
		t.Fatalf("took %v, want the 30s pause plus the 1s step", got)
	}
}

func TestLocksGateAndRelease(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  synchronization:
    mutexes: [{name: whole}]
  templates:
  - name: main
    steps:
    - - {name: a, template: locked, withItems: [1, 2, 3]}
  - name: locked
    synchronization:
      mutexes: [{name: one}]
    retryStrategy: {limit: 1}
    container: {image: x, command: ["true"]}
`, succeed)
	s.locks = true
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s %s\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
	}
	if s.maxActive != 1 {
		t.Fatalf("%d steps ran at once under a mutex", s.maxActive)
	}
	// The workflow holder plus one holder per loop item (the Retry nodes).
	if len(s.acquired) != 4 || len(s.released) != 4 {
		t.Fatalf("acquired %v, released %v", s.acquired, s.released)
	}
	for name, toks := range s.tokens {
		if toks["default/Mutex/whole"] == 0 || toks["default/Mutex/one"] == 0 {
			t.Fatalf("%s launched with tokens %v, want both locks'", name, toks)
		}
	}
	if sy := wf.Status.Synchronization; sy != nil && (len(sy.Tokens) != 0 || (sy.Mutex != nil && len(sy.Mutex.Holding) != 0)) {
		t.Fatalf("locks still recorded as held at the end: %+v", sy)
	}
}

func TestStopWhileWaitingForWorkflowLock(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  synchronization:
    mutex: {name: m}
  templates:
  - {name: main, container: {image: x, command: ["true"]}}
`, succeed)
	plan := Reconcile(s.wf, nil, s.now, s.res)
	if len(plan.Acquire) != 1 || s.wf.Status.Phase != wfv1.PhasePending || !strings.HasPrefix(s.wf.Status.Message, "Waiting for default/Mutex/m lock") {
		t.Fatalf("acquire %v phase %s message %q", plan.Acquire, s.wf.Status.Phase, s.wf.Status.Message)
	}
	plan = Reconcile(s.wf, []Event{{Kind: Stop, At: s.now}}, s.now, s.res)
	if s.wf.Status.Phase != wfv1.PhaseFailed || len(plan.Release) != 1 || plan.Release[0] != "default/wf" {
		t.Fatalf("phase %s release %v", s.wf.Status.Phase, plan.Release)
	}
}

func TestPendingTimeoutFailsTheWaiter(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    synchronization: {mutexes: [{name: m}]}
    pendingTimeout: 10s
    container: {image: x, command: ["true"]}
`, succeed)
	plan := Reconcile(s.wf, nil, s.now, s.res)
	if len(plan.Acquire) != 1 || plan.WakeAt != s.now.Add(10*time.Second) {
		t.Fatalf("acquire %v wake %v", plan.Acquire, plan.WakeAt)
	}
	plan = Reconcile(s.wf, nil, s.now.Add(10*time.Second), s.res)
	if s.wf.Status.Phase != wfv1.PhaseFailed || !strings.Contains(s.wf.Status.Message, "pendingTimeout") ||
		len(plan.Release) != 1 || plan.Release[0] != "default/wf/wf" {
		t.Fatalf("phase %s message %q release %v", s.wf.Status.Phase, s.wf.Status.Message, plan.Release)
	}
}

// A pendingTimeout the shared parser refuses (lint bypassed) is not a
// timeout of zero: the node fails naming the field, it does not "time
// out" at once (hostile finding 6).
func TestPendingTimeoutRefusedValue(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    synchronization: {mutexes: [{name: m}]}
    pendingTimeout: 10s
    container: {image: x, command: ["true"]}
`, succeed)
	s.wf.Spec.Templates[0].PendingTimeout = "0.0000000001s" // as with --no-lint
	Reconcile(s.wf, nil, s.now, s.res)
	Reconcile(s.wf, nil, s.now.Add(time.Millisecond), s.res)
	if strings.Contains(s.wf.Status.Message, "Timed out") || !strings.Contains(s.wf.Status.Message, "pendingTimeout") {
		t.Fatalf("phase %s message %q, want a refusal naming pendingTimeout, not a time-out", s.wf.Status.Phase, s.wf.Status.Message)
	}
}
