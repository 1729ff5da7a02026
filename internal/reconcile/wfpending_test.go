package reconcile

import (
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// A workflow-level lock wait times out as a template's does, with the
// duration in the annotation semaflow.dev/pending-timeout: the workflow
// fails naming the lock and leaves the queue.
func TestWorkflowPendingTimeout(t *testing.T) {
	s := newSim(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: wf
  annotations: {semaflow.dev/pending-timeout: 90s}
spec:
  entrypoint: main
  synchronization: {mutexes: [{name: m}]}
  templates:
  - {name: main, container: {image: x, command: ["true"]}}
`, succeed)
	plan := Reconcile(s.wf, nil, s.now, s.res)
	if len(plan.Acquire) != 1 || plan.WakeAt != s.now.Add(90*time.Second) {
		t.Fatalf("acquire %v wake %v, want a wake at the timeout", plan.Acquire, plan.WakeAt)
	}
	Reconcile(s.wf, nil, s.now.Add(89*time.Second), s.res)
	if s.wf.Status.Phase != wfv1.PhasePending {
		t.Fatalf("failed before its timeout: %s %q", s.wf.Status.Phase, s.wf.Status.Message)
	}
	plan = Reconcile(s.wf, nil, s.now.Add(90*time.Second), s.res)
	want := "Timed out after 90s (semaflow.dev/pending-timeout) waiting for default/Mutex/m lock"
	if s.wf.Status.Phase != wfv1.PhaseFailed || !strings.Contains(s.wf.Status.Message, want) ||
		len(plan.Release) != 1 || plan.Release[0] != "default/wf" {
		t.Fatalf("phase %s message %q release %v, want Failed with %q", s.wf.Status.Phase, s.wf.Status.Message, plan.Release, want)
	}
}
