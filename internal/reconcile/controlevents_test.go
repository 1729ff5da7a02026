package reconcile

import (
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// The control events a user sends to a running
// workflow (suspend, resume, node set), run in lockstep with the old walk
// through the kept cache. No existing differential test sends them.
const controlEventsDAG = header + `  entrypoint: main
  parallelism: 2
  templates:
  - name: main
    dag:
      tasks:
      - {name: a, template: echo}
      - {name: b, template: approve}
      - {name: c, template: echo, depends: b, arguments: {parameters: [{name: m, value: "{{tasks.b.outputs.parameters.m}}"}]}}
      - {name: d, template: echo, withItems: [1, 2, 3, 4, 5]}
      - {name: e, template: gate}
      - {name: f, template: echo}
      - {name: g, template: echo}
  - name: approve
    suspend: {}
    outputs:
      parameters:
      - name: m
        valueFrom: {supplied: {}}
  - name: gate
    suspend: {}
  - name: echo
    inputs: {parameters: [{name: m, default: x}]}
    container: {image: x, command: [echo, "{{inputs.parameters.m}}"]}
`

func TestCachedWalkControlEventsLockstep(t *testing.T) {
	s := newSim(t, controlEventsDAG, succeed)
	s.keep = true
	s.reconcile = lockstep(func(f string, a ...any) { t.Fatalf(f, a...) }, s.res, nil)
	call, stage := 0, 0
	s.onPlan = func(p *Plan, now time.Time) {
		call++
		if call == 3 {
			s.events = append(s.events, Event{Kind: Suspend, At: now})
			return
		}
		if p.Done || len(s.running) > 0 || len(s.events) > 0 || !s.wakeAt.IsZero() {
			return
		}
		// Stuck waiting for a person: act as one.
		stage++
		switch stage {
		case 1:
			s.events = append(s.events, Event{Kind: SetNode, At: now,
				Set: &SetValues{Selector: "displayName=b", Phase: wfv1.PhaseSucceeded, Outputs: map[string]string{"m": "set"}}})
		default:
			s.events = append(s.events, Event{Kind: Resume, At: now})
		}
	}
	wf := s.run()
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s\n%s", wf.Status.Phase, s.dump())
	}
	if got := wf.Status.Progress; got != "11/11" {
		t.Fatalf("progress %s", got)
	}
}
