package reconcile

import (
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
)

// stopHooksManifest is Argo's functional stop-terminate test's shape: a
// step with an exit hook, and the workflow's exit handler; the hook has
// two parallel steps, so one's exit walks the tree while the other runs.
const stopHooksManifest = header + `  entrypoint: main
  onExit: exit
  templates:
  - name: main
    steps:
    - - {name: A, template: sleep, onExit: hook}
  - {name: sleep, container: {image: x, command: [sleep, "100"]}}
  - name: hook
    steps:
    - - {name: short, template: short}
      - {name: long, template: long}
  - {name: short, container: {image: x, command: [sleep, "1"]}}
  - {name: long, container: {image: x, command: [sleep, "4"]}}
  - {name: exit, container: {image: x, command: ["true"]}}
`

func stopHooksSim(t *testing.T, control EventKind) (*sim, map[string]string) {
	s := newSim(t, stopHooksManifest, func(l Launch) outcome {
		switch l.Template.Name {
		case "sleep":
			return outcome{takes: 100 * time.Second}
		case "long":
			return outcome{takes: 4 * time.Second}
		}
		return outcome{takes: time.Second}
	})
	s.control, s.controlAt = control, s.now.Add(2*time.Second)
	killed := map[string]string{}
	s.onPlan = func(p *Plan, _ time.Time) {
		for id, why := range p.Kill {
			killed[id] = why
		}
	}
	return s, killed
}

// Under Stop a step's exit hook runs to its end, as the workflow's exit
// handler does (Argo's TestStopBehavior: A.onExit Succeeded).
func TestStopRunsStepExitHooks(t *testing.T) {
	s, killed := stopHooksSim(t, Stop)
	wf := s.run()
	for _, name := range []string{"wf[0].A.onExit", "wf[0].A.onExit[0].short", "wf[0].A.onExit[0].long", "wf.onExit"} {
		if n := s.node(name); n.Phase != wfv1.PhaseSucceeded || killed[n.ID] != "" {
			t.Fatalf("%s: %s %q (kill %q), want it run to its end\n%s", name, n.Phase, n.Message, killed[n.ID], s.dump())
		}
	}
	if wf.Status.Phase != wfv1.PhaseFailed {
		t.Fatalf("workflow %s, want Failed\n%s", wf.Status.Phase, s.dump())
	}
}

// Under Terminate no exit hook starts, and the workflow still ends, at
// once (it waited for the hook that never came: a hang; Argo's
// TestTerminateBehavior: Failed, no A.onExit and no onExit node).
func TestTerminateEndsAStepWithAnExitHook(t *testing.T) {
	s, _ := stopHooksSim(t, Terminate)
	wf := s.run()
	ended := s.now.Sub(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) // newSim's start
	if wf.Status.Phase != wfv1.PhaseFailed || ended > 3*time.Second {
		t.Fatalf("workflow %s %q after %v, want Failed right after the terminate at 2s\n%s", wf.Status.Phase, wf.Status.Message, ended, s.dump())
	}
	for _, name := range []string{"wf[0].A.onExit", "wf.onExit"} {
		if _, ok := wf.Status.Nodes[NodeID("wf", name)]; ok {
			t.Fatalf("%s ran under Terminate\n%s", name, s.dump())
		}
	}
}

// A suspend node in the exit handler fails under Stop as any suspend
// node does (Argo fails every active one under a shutdown): spared with
// the handler's steps, it would hold the workflow Running for ever.
func TestStopFailsASuspendInTheExitHandler(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  onExit: exit
  templates:
  - {name: main, container: {image: x, command: [sleep, "100"]}}
  - name: exit
    steps:
    - - {name: approve, template: approve}
  - {name: approve, suspend: {}}
`, func(l Launch) outcome { return outcome{takes: 100 * time.Second} })
	s.control, s.controlAt = Stop, s.now.Add(time.Second)
	wf := s.run()
	if n := s.node("wf.onExit[0].approve"); n.Phase != wfv1.PhaseFailed || wf.Status.Phase != wfv1.PhaseFailed {
		t.Fatalf("suspend %s, workflow %s: want both Failed\n%s", n.Phase, wf.Status.Phase, s.dump())
	}
}

// A workflow whose reconcile panicked once, with a step still running,
// goes on as under a terminate when the next reconcile does not panic:
// it starts nothing (no exit handler), and ends once the step has exited.
func TestAfterACrashTheReconcileStartsNothing(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  onExit: exit
  templates:
  - name: main
    steps:
    - - {name: a, template: long}
    - - {name: b, template: long}
  - {name: long, container: {image: x, command: [sleep, "100"]}}
  - {name: exit, container: {image: x, command: ["true"]}}
`, succeed)
	plan := Reconcile(s.wf, nil, s.now, s.res)
	id := plan.Start[0].NodeID
	Reconcile(s.wf, []Event{{Kind: StepStarted, NodeID: id, At: s.now}}, s.now, s.res)
	plan = Crashed(s.wf, nil, "internal error: reconcile panicked: x", s.now)
	if _, kill := plan.Kill[id]; !kill || plan.Done || s.wf.Spec.Shutdown != "Terminate" {
		t.Fatalf("crash: kill %v done %v shutdown %q", plan.Kill, plan.Done, s.wf.Spec.Shutdown)
	}
	s.roundTrip()
	plan = Reconcile(s.wf, []Event{{Kind: StepExited, NodeID: id, At: s.now, Result: &domain.StepResult{ExitCode: 137, Killed: "x"}}}, s.now, s.res)
	if len(plan.Start) != 0 || !plan.Done || s.wf.Status.Phase != wfv1.PhaseFailed {
		t.Fatalf("after the exit: start %v done %v workflow %s %q\n%s", plan.Start, plan.Done, s.wf.Status.Phase, s.wf.Status.Message, s.dump())
	}
}
