package reconcile

import (
	"fmt"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

func TestForgetUnstartedAndWaitingHolders(t *testing.T) {
	wf := &wfv1.Workflow{Status: wfv1.WorkflowStatus{Nodes: map[string]wfv1.NodeStatus{
		"root": {ID: "root", Children: []string{"a", "b"}},
		"a":    {ID: "a", Phase: wfv1.PhasePending},
		"b":    {ID: "b", Phase: wfv1.PhaseRunning},
	}, Synchronization: &wfv1.SynchronizationStatus{
		Semaphore: &wfv1.SemaphoreStatus{Waiting: []wfv1.SemaphoreHolding{{Semaphore: "s1", Holders: []string{"ns/w", "ns/w/a"}}, {Semaphore: "s2", Holders: []string{"ns/w"}}}},
		Mutex:     &wfv1.MutexStatus{Waiting: []wfv1.MutexHolding{{Mutex: "m", Holder: "ns/w/c"}}},
	}}}
	ForgetUnstarted(wf, []string{"a"})
	if _, ok := wf.Status.Nodes["a"]; ok || fmt.Sprint(wf.Status.Nodes["root"].Children) != "[b]" {
		t.Fatalf("after forgetting a: %v", wf.Status.Nodes)
	}
	if got := fmt.Sprint(WaitingHolders(wf)); got != "[ns/w ns/w/a ns/w/c]" {
		t.Fatalf("waiting holders %s", got)
	}
}
