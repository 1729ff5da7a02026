package reconcile

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// spec.parallelism holds for steps under template locks: each waits for
// a pod slot before it is queued for its lock, so grants never start
// more pods than the workflow may run. It used to start all four at once
// (each waited on a lock of its own, and every grant launched).
func TestParallelismHoldsForStepsUnderLocks(t *testing.T) {
	for _, body := range []string{`    steps:
    - - {name: w, template: work, arguments: {parameters: [{name: i, value: "{{item}}"}]}, withItems: [1, 2, 3, 4]}
`, `    dag:
      tasks:
      - {name: w, template: work, arguments: {parameters: [{name: i, value: "{{item}}"}]}, withItems: [1, 2, 3, 4]}
`} {
		for _, lock := range []string{`mutexes: [{name: "pm{{inputs.parameters.i}}"}]`, `mutexes: [{name: one}]`} {
			s := newSim(t, header+`  entrypoint: main
  parallelism: 1
  templates:
  - name: main
`+body+`  - name: work
    inputs: {parameters: [{name: i}]}
    synchronization: {`+lock+`}
    container: {image: x, command: ["true"]}
`, succeed)
			s.locks = true
			wf := s.run()
			if wf.Status.Phase != wfv1.PhaseSucceeded || s.maxActive != 1 || len(s.order) != 4 {
				t.Errorf("%s / %s: phase %s, %d steps at most at once (want 1), %d launched:\n%s",
					strings.Fields(body)[0], lock, wf.Status.Phase, s.maxActive, len(s.order), s.dump())
			}
		}
	}
}

// A suspended workflow's step that waits for its lock leaves the queue:
// the lock freed meanwhile does not start it; it is queued again, and
// runs, once the workflow is resumed. (A third step, on a lock of its
// own, runs on meanwhile, so that something happens while suspended.)
func TestSuspendedWaiterIsNotGranted(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: w, template: work, arguments: {parameters: [{name: l, value: "{{item}}"}]}, withItems: [m, m, n]}
  - name: work
    inputs: {parameters: [{name: l}]}
    synchronization: {mutexes: [{name: "{{inputs.parameters.l}}"}]}
    container: {image: x, command: ["true"]}
`, func(l Launch) outcome {
		if strings.Contains(l.NodeName, "(2:n)") {
			return outcome{takes: 25 * time.Second}
		}
		return outcome{takes: 10 * time.Second}
	})
	s.locks = true
	start := s.now
	s.control, s.controlAt = Suspend, start.Add(time.Second)
	var startedWhileSuspended []string
	resumed := false
	s.onPlan = func(p *Plan, now time.Time) {
		if !now.Before(start.Add(time.Second)) && !resumed {
			for _, l := range p.Start {
				startedWhileSuspended = append(startedWhileSuspended, l.NodeName)
			}
			if len(s.running) == 0 && !now.Before(start.Add(25*time.Second)) {
				s.events = append(s.events, Event{Kind: Resume, At: now})
				resumed = true
			}
		}
	}
	wf := s.run()
	if len(startedWhileSuspended) > 0 || !resumed || wf.Status.Phase != wfv1.PhaseSucceeded || len(s.order) != 3 {
		t.Fatalf("started while suspended %v (resumed %v); phase %s, %d launched:\n%s", startedWhileSuspended, resumed, wf.Status.Phase, len(s.order), s.dump())
	}
}

// A workflow suspended before it started does not queue for its
// workflow-level lock (nor keep a grant that reaches it); resumed, it
// queues and runs.
func TestSuspendedWorkflowDoesNotQueueForItsLock(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  suspend: true
  synchronization: {mutex: {name: wm}}
  templates:
  - {name: main, container: {image: x, command: ["true"]}}
`, succeed)
	plan := Reconcile(s.wf, nil, s.now, s.res)
	if len(plan.Acquire) != 0 || s.wf.Status.Phase != wfv1.PhasePending || !strings.Contains(s.wf.Status.Message, "suspended") {
		t.Fatalf("suspended: acquire %v, phase %s %q; want no request, Pending, saying so", plan.Acquire, s.wf.Status.Phase, s.wf.Status.Message)
	}
	// A grant that comes anyway (asked for before the suspend) goes back.
	holder := "default/wf"
	plan = Reconcile(s.wf, []Event{{Kind: LockGranted, Holder: holder, Tokens: nil, At: s.now}}, s.now, s.res)
	if len(plan.Start) != 0 || !slices.Contains(plan.Release, holder) {
		t.Fatalf("a suspended workflow granted its lock: started %v, released %v; want nothing started, the grant given back", plan.Start, plan.Release)
	}
	plan = Reconcile(s.wf, []Event{{Kind: Resume, At: s.now}}, s.now, s.res)
	if len(plan.Acquire) != 1 || plan.Acquire[0].Holder != holder {
		t.Fatalf("resumed: acquire %v, want %s queued", plan.Acquire, holder)
	}
}

// Attempts of a retry respect spec.parallelism too, with a lock or
// without: after a backoff, another step may have taken the slot, and the
// attempt waits for it instead of running beside it.
func TestParallelismHoldsForRetryAttempts(t *testing.T) {
	for _, lock := range []string{"", `    synchronization: {mutexes: [{name: "pm{{inputs.parameters.i}}"}]}
`} {
		s := newSim(t, header+`  entrypoint: main
  parallelism: 1
  templates:
  - name: main
    steps:
    - - {name: w, template: work, arguments: {parameters: [{name: i, value: "{{item}}"}]}, withItems: [1, 2, 3]}
  - name: work
    inputs: {parameters: [{name: i}]}
    retryStrategy: {limit: 2, retryPolicy: Always, backoff: {duration: "5s"}}
`+lock+`    container: {image: x, command: ["true"]}
`, func(l Launch) outcome {
			if strings.HasSuffix(l.NodeName, "(0)") {
				return outcome{exit: 1, takes: time.Second}
			}
			return outcome{takes: 10 * time.Second}
		})
		s.locks = lock != ""
		wf := s.run()
		if wf.Status.Phase != wfv1.PhaseSucceeded || s.maxActive != 1 || len(s.order) != 6 {
			t.Errorf("lock %q: phase %s, %d at most at once (want 1), %d launched:\n%s", strings.TrimSpace(lock), wf.Status.Phase, s.maxActive, len(s.order), s.dump())
		}
	}
}
