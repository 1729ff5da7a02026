package reconcile

import (
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// A deadline of 0 has passed before any node exists: the workflow must
// end at once, not stay Running with no node to finish it.
func TestZeroDeadlineEndsTheWorkflowAtOnce(t *testing.T) {
	s := newSim(t, header+`  entrypoint: main
  activeDeadlineSeconds: 0
  templates:
  - {name: main, container: {image: x, command: ["true"]}}
`, succeed)
	Reconcile(s.wf, nil, s.now, s.res)
	if s.wf.Status.Phase != wfv1.PhaseFailed || !strings.Contains(s.wf.Status.Message, "deadline") {
		t.Fatalf("phase %s message %q", s.wf.Status.Phase, s.wf.Status.Message)
	}
}

// A stop or terminate that comes before the first node is made ends the
// workflow too (it used to leave it Running with nothing to end it).
func TestTerminateBeforeAnyNodeEndsTheWorkflow(t *testing.T) {
	for _, kind := range []EventKind{Stop, Terminate} {
		s := newSim(t, header+`  entrypoint: main
  templates:
  - {name: main, container: {image: x, command: ["true"]}}
`, succeed)
		Reconcile(s.wf, []Event{{Kind: kind, At: s.now}}, s.now, s.res)
		if s.wf.Status.Phase != wfv1.PhaseFailed || !strings.Contains(s.wf.Status.Message, "Stopped with strategy") {
			t.Fatalf("%v: phase %s message %q", kind, s.wf.Status.Phase, s.wf.Status.Message)
		}
	}
}

// A step deadline that a parameter makes unreadable fails the step with
// the reason, as Argo's refused pod would; it used to run the step with
// no deadline at all. A readable one is the launch's deadline.
func TestUnreadableStepDeadlineFailsTheStep(t *testing.T) {
	for _, c := range []struct{ field, value, want string }{
		{"activeDeadlineSeconds", "abc", `activeDeadlineSeconds "abc" is not a whole number`},
		{"activeDeadlineSeconds", "-1", `activeDeadlineSeconds "-1" is not a whole number`},
		{"activeDeadlineSeconds", "1.5", `activeDeadlineSeconds "1.5" is not a whole number`},
		{"activeDeadlineSeconds", " 1", `activeDeadlineSeconds " 1" is not a whole number`},
		{"timeout", "abc", `timeout "abc" is not a duration`},
		{"activeDeadlineSeconds", "7", ""},
		{"timeout", "7s", ""},
	} {
		var launched []Launch
		s := newSim(t, header+`  entrypoint: main
  arguments: {parameters: [{name: dl, value: "`+c.value+`"}]}
  templates:
  - name: main
    `+c.field+`: "{{workflow.parameters.dl}}"
    container: {image: x, command: ["true"]}
`, func(l Launch) outcome { launched = append(launched, l); return succeed(l) })
		start := *s.wf.Metadata.CreationTimestamp
		wf := s.run()
		n := s.node(wf.Metadata.Name)
		if c.want == "" {
			if n.Phase != wfv1.PhaseSucceeded || len(launched) != 1 || launched[0].Deadline.Sub(start) != 7*time.Second {
				t.Errorf("%s %q: phase %s, launches %d (deadline %v after the start), want Succeeded and one launch 7s",
					c.field, c.value, n.Phase, len(launched), launchedDeadline(launched, start))
			}
			continue
		}
		if n.Phase != wfv1.PhaseError || !strings.Contains(n.Message, c.want) || len(launched) != 0 {
			t.Errorf("%s %q: phase %s message %q, %d launches; want Error %q and no launch", c.field, c.value, n.Phase, n.Message, len(launched), c.want)
		}
	}
}

func launchedDeadline(ls []Launch, start time.Time) time.Duration {
	if len(ls) == 0 {
		return 0
	}
	return ls[0].Deadline.Sub(start)
}
