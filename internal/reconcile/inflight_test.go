package reconcile

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
)

// A step handed to the executor but not yet reported started is Pending
// and may be running: a stop, terminate or the workflow's deadline kills
// it and waits for its exit, as for a Running one. Its mutex stays held
// and the workflow unfinished until then (CI found a workflow ended
// Failed by its deadline while a step resumed after a crash still ran).
func TestPendingStepInFlightEndsByItsExit(t *testing.T) {
	for _, how := range []string{"deadline", "Stop", "Terminate"} {
		t.Run(how, func(t *testing.T) {
			s := newSim(t, header+`  activeDeadlineSeconds: 4
  entrypoint: main
  templates:
  - name: main
    synchronization: {mutexes: [{name: m}]}
    container: {image: x, command: [sleep, "100"]}
`, succeed)
			plan := Reconcile(s.wf, nil, s.now, s.res)
			if len(plan.Acquire) != 1 {
				t.Fatalf("acquire %v", plan.Acquire)
			}
			holder := plan.Acquire[0].Holder
			plan = Reconcile(s.wf, []Event{{Kind: LockGranted, Holder: holder, At: s.now}}, s.now, s.res)
			if len(plan.Start) != 1 {
				t.Fatalf("start %v", plan.Start)
			}
			id := plan.Start[0].NodeID
			// Launched; its StepStarted has not come.
			at, events := s.now.Add(time.Second), []Event(nil)
			if how == "deadline" {
				at = s.now.Add(5 * time.Second)
			} else {
				events = []Event{{Kind: map[string]EventKind{"Stop": Stop, "Terminate": Terminate}[how], At: at}}
			}
			plan = Reconcile(s.wf, events, at, s.res)
			n := s.wf.Status.Nodes[id]
			if _, kill := plan.Kill[id]; !kill || n.Phase != wfv1.PhasePending || s.wf.Status.Phase != wfv1.PhaseRunning || slices.Contains(plan.Release, holder) {
				t.Fatalf("after the %s: kill %v, node %s %q, workflow %s, release %v; want the step killed and Pending, the workflow Running, the mutex held",
					how, plan.Kill, n.Phase, n.Message, s.wf.Status.Phase, plan.Release)
			}
			reason := plan.Kill[id]
			plan = Reconcile(s.wf, []Event{{Kind: StepExited, NodeID: id, At: at,
				Result: &domain.StepResult{ExitCode: 137, Killed: reason, Started: at, Finished: at}}}, at, s.res)
			n = s.wf.Status.Nodes[id]
			if n.Phase != wfv1.PhaseFailed || !strings.Contains(n.Message, reason) || s.wf.Status.Phase != wfv1.PhaseFailed || !slices.Contains(plan.Release, holder) {
				t.Fatalf("after its exit: node %s %q, workflow %s, release %v", n.Phase, n.Message, s.wf.Status.Phase, plan.Release)
			}
		})
	}
}

// A Pending step the engine gave up launching (StepNotStarted) ends
// Failed at once with the reason given, and frees its mutex.
func TestStepNotStartedEndsAPendingStep(t *testing.T) {
	s, holder := waitingStep(t)
	plan := Reconcile(s.wf, []Event{{Kind: LockGranted, Holder: holder, At: s.now}}, s.now, s.res)
	id := plan.Start[0].NodeID
	plan = Reconcile(s.wf, []Event{{Kind: Stop, At: s.now}, {Kind: StepNotStarted, NodeID: id, At: s.now, Message: "workflow shutdown with strategy: Stop"}}, s.now, s.res)
	n := s.wf.Status.Nodes[id]
	if n.Phase != wfv1.PhaseFailed || n.Message != "workflow shutdown with strategy: Stop" || s.wf.Status.Phase != wfv1.PhaseFailed || !slices.Contains(plan.Release, holder) {
		t.Fatalf("node %s %q, workflow %s, release %v", n.Phase, n.Message, s.wf.Status.Phase, plan.Release)
	}
	// A late one changes nothing.
	Reconcile(s.wf, []Event{{Kind: StepNotStarted, NodeID: id, At: s.now, Message: "other"}}, s.now, s.res)
	if m := s.wf.Status.Nodes[id].Message; m != "workflow shutdown with strategy: Stop" {
		t.Fatalf("message %q", m)
	}
}

// A steps template past its timeout kills its running step, but neither
// the step nor the template's node ends, nor frees its mutex, before the
// step has exited: the step may take its grace period to die.
func TestTimeoutWaitsForItsKilledSteps(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    timeout: 5s
    synchronization: {mutexes: [{name: outer}]}
    steps:
    - - {name: a, template: slow}
  - name: slow
    synchronization: {mutexes: [{name: m}]}
    container: {image: x, command: [sleep, "100"]}
`, succeed)
	var started string
	held := map[string]bool{}
	at := s.now
	var plan *Plan
	events := []Event(nil)
	for range 10 {
		plan = Reconcile(s.wf, events, at, s.res)
		events = nil
		for _, r := range plan.Acquire {
			held[r.Holder] = true
			events = append(events, Event{Kind: LockGranted, Holder: r.Holder, At: at})
		}
		for _, l := range plan.Start {
			started = l.NodeID
			events = append(events, Event{Kind: StepStarted, NodeID: l.NodeID, At: at})
		}
		if len(events) == 0 {
			break
		}
	}
	if started == "" || s.wf.Status.Nodes[started].Phase != wfv1.PhaseRunning || len(held) != 2 {
		t.Fatalf("step %q not running (held %v):\n%s", started, held, s.dump())
	}
	at = at.Add(6 * time.Second)
	plan = Reconcile(s.wf, nil, at, s.res)
	reason, kill := plan.Kill[started]
	if !kill || !strings.Contains(reason, "exceeded its timeout") {
		t.Fatalf("past the timeout: kill %v", plan.Kill)
	}
	if n := s.wf.Status.Nodes[started]; n.Phase != wfv1.PhaseRunning || len(plan.Release) != 0 || s.wf.Status.Phase != wfv1.PhaseRunning {
		t.Fatalf("past the timeout, before the step exited: step %s %q, release %v, workflow %s; want Running, nothing freed\n%s",
			n.Phase, n.Message, plan.Release, s.wf.Status.Phase, s.dump())
	}
	// Another call before the exit (an unrelated wake-up) kills again and
	// still frees nothing.
	plan = Reconcile(s.wf, nil, at.Add(time.Second), s.res)
	if _, kill := plan.Kill[started]; !kill || len(plan.Release) != 0 {
		t.Fatalf("second call: kill %v release %v", plan.Kill, plan.Release)
	}
	at = at.Add(2 * time.Second)
	plan = Reconcile(s.wf, []Event{{Kind: StepExited, NodeID: started, At: at,
		Result: &domain.StepResult{ExitCode: 137, Killed: reason, Started: at, Finished: at}}}, at, s.res)
	n := s.wf.Status.Nodes[started]
	if n.Phase != wfv1.PhaseFailed || !strings.Contains(n.Message, "exceeded its timeout") || s.wf.Status.Phase != wfv1.PhaseFailed ||
		len(plan.Release) != 2 || !strings.Contains(s.wf.Status.Message, "exceeded its timeout") {
		t.Fatalf("after the exit: step %s %q, workflow %s %q, release %v\n%s", n.Phase, n.Message, s.wf.Status.Phase, s.wf.Status.Message, plan.Release, s.dump())
	}
}

// A step whose lock wait ends in the call that stops the workflow was
// never launched: it ends Failed at once, is neither started nor killed,
// and frees what it was granted (hostile finding: it was killed as if in
// flight, then launched by the walk, and ran with its node Failed).
func TestGrantAndStopInOneCallStartsNothing(t *testing.T) {
	s, holder := waitingStep(t)
	plan := Reconcile(s.wf, []Event{{Kind: Stop, At: s.now}, {Kind: LockGranted, Holder: holder, At: s.now}}, s.now, s.res)
	id := NodeID("wf", "wf")
	n := s.wf.Status.Nodes[id]
	if len(plan.Start) != 0 || len(plan.Kill) != 0 || n.Phase != wfv1.PhaseFailed || !slices.Contains(plan.Release, holder) || s.wf.Status.Phase != wfv1.PhaseFailed {
		t.Fatalf("start %v kill %v node %s %q release %v workflow %s", plan.Start, plan.Kill, n.Phase, n.Message, plan.Release, s.wf.Status.Phase)
	}
}

// Under Stop and past the workflow's deadline the exit handler runs to
// its end, as in Argo: a step of it waiting for a lock is granted and
// started, never killed; one running is not killed when another exits.
func TestStopLetsTheExitHandlerRun(t *testing.T) {
	for _, how := range []string{"Stop", "deadline"} {
		t.Run(how, func(t *testing.T) {
			deadline := ""
			if how == "deadline" {
				deadline = "  activeDeadlineSeconds: 3\n"
			}
			s := newSim(t, header+deadline+`  entrypoint: main
  onExit: exit
  templates:
  - name: main
    synchronization: {mutexes: [{name: m}]}
    container: {image: x, command: [sleep, "100"]}
  - name: exit
    steps:
    - - {name: locked, template: locked}
      - {name: short, template: short}
      - {name: long, template: long}
  - name: locked
    synchronization: {mutexes: [{name: m}]}
    container: {image: x, command: [sleep, "2"]}
  - {name: short, container: {image: x, command: [sleep, "1"]}}
  - {name: long, container: {image: x, command: [sleep, "4"]}}
`, func(l Launch) outcome {
				switch l.Template.Name {
				case "main":
					return outcome{takes: 100 * time.Second}
				case "long":
					return outcome{takes: 4 * time.Second}
				case "locked":
					return outcome{takes: 2 * time.Second}
				}
				return outcome{takes: time.Second}
			})
			s.locks = true
			if how == "Stop" {
				s.control, s.controlAt = Stop, s.now.Add(3*time.Second)
			}
			killed := map[string]string{}
			s.onPlan = func(p *Plan, _ time.Time) {
				for id, why := range p.Kill {
					killed[id] = why
				}
			}
			wf := s.run()
			for _, name := range []string{"wf.onExit[0].locked", "wf.onExit[0].short", "wf.onExit[0].long"} {
				n := s.node(name)
				if n.Phase != wfv1.PhaseSucceeded || killed[n.ID] != "" {
					t.Fatalf("%s: %s %q (kill %q), want it run to its end\n%s", name, n.Phase, n.Message, killed[n.ID], s.dump())
				}
			}
			if wf.Status.Phase != wfv1.PhaseFailed || s.node("wf").Phase != wfv1.PhaseFailed {
				t.Fatalf("workflow %s %q, want Failed (stopped)\n%s", wf.Status.Phase, wf.Status.Message, s.dump())
			}
		})
	}
}

// waitingStep is a one-step workflow whose step waits for mutex m.
func waitingStep(t *testing.T) (*sim, string) {
	t.Helper()
	s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    synchronization: {mutexes: [{name: m}]}
    container: {image: x, command: [sleep, "100"]}
`, succeed)
	plan := Reconcile(s.wf, nil, s.now, s.res)
	if len(plan.Acquire) != 1 {
		t.Fatalf("acquire %v", plan.Acquire)
	}
	return s, plan.Acquire[0].Holder
}

// A Pending step its executor cannot start yet (StepWaiting) says why on
// its node and stays Pending, its mutex held; its start clears the
// message, and a late one changes a running step nothing.
func TestStepWaitingSaysWhyUntilItStarts(t *testing.T) {
	s, holder := waitingStep(t)
	plan := Reconcile(s.wf, []Event{{Kind: LockGranted, Holder: holder, At: s.now}}, s.now, s.res)
	id := plan.Start[0].NodeID
	why := "the disk of /data/steps/x has no room: no space left on device"
	plan = Reconcile(s.wf, []Event{{Kind: StepWaiting, NodeID: id, At: s.now, Message: why}}, s.now, s.res)
	n := s.wf.Status.Nodes[id]
	if n.Phase != wfv1.PhasePending || n.Message != StepWaitPrefix+why || slices.Contains(plan.Release, holder) || !slices.Contains(plan.Changed, id) {
		t.Fatalf("waiting: node %s %q, release %v, changed %v; want Pending saying why, written, the mutex held", n.Phase, n.Message, plan.Release, plan.Changed)
	}
	Reconcile(s.wf, []Event{{Kind: StepWaiting, NodeID: id, At: s.now}}, s.now, s.res)
	if n := s.wf.Status.Nodes[id]; n.Phase != wfv1.PhasePending || n.Message != "" {
		t.Fatalf("no longer waiting: node %s %q; want Pending with the message cleared", n.Phase, n.Message)
	}
	Reconcile(s.wf, []Event{{Kind: StepWaiting, NodeID: id, At: s.now, Message: why}}, s.now, s.res)
	Reconcile(s.wf, []Event{{Kind: StepStarted, NodeID: id, At: s.now}}, s.now, s.res)
	if n := s.wf.Status.Nodes[id]; n.Phase != wfv1.PhaseRunning || n.Message != "" {
		t.Fatalf("started: node %s %q; want Running with the message cleared", n.Phase, n.Message)
	}
	Reconcile(s.wf, []Event{{Kind: StepWaiting, NodeID: id, At: s.now, Message: why}}, s.now, s.res)
	if n := s.wf.Status.Nodes[id]; n.Phase != wfv1.PhaseRunning || n.Message != "" {
		t.Fatalf("a late wait: node %s %q", n.Phase, n.Message)
	}
}
