package reconcile

import (
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/spec"
)

func TestCheckStall(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	node := func(id, typ, phase string, kids ...string) wfv1.NodeStatus {
		return wfv1.NodeStatus{ID: id, Name: id, Type: typ, Phase: phase, Children: kids, StartedAt: &at}
	}
	waiting := node("wf-1", NodePod, wfv1.PhasePending)
	waiting.SynchronizationStatus = &wfv1.NodeSynchronizationStatus{Waiting: "default/Mutex/m"}
	cases := []struct {
		name      string
		phase     string
		suspended bool
		nodes     []wfv1.NodeStatus
		plan      Plan
		stuck     string // node named, "" for none; "-" for a stall with no node
		why       string
	}{
		{name: "steps node that started nothing (templateDefaults hang)", phase: wfv1.PhaseRunning,
			nodes: []wfv1.NodeStatus{node("wf", NodeSteps, wfv1.PhaseRunning)}, stuck: "wf", why: "started nothing"},
		{name: "TaskGroup whose children all ended", phase: wfv1.PhaseRunning,
			nodes: []wfv1.NodeStatus{node("wf", NodeDAG, wfv1.PhaseRunning, "wf-2"), node("wf-2", NodeTaskGroup, wfv1.PhaseRunning, "wf-3"),
				node("wf-3", NodePod, wfv1.PhaseSucceeded)}, stuck: "wf-2", why: "all 1 of its children have ended"},
		{name: "pod planned but never launched", phase: wfv1.PhaseRunning,
			nodes: []wfv1.NodeStatus{node("wf", NodeSteps, wfv1.PhaseRunning, "wf-1"), {ID: "wf-1", Name: "wf-1", Type: NodePod}},
			stuck: "wf-1", why: "never launched"},
		{name: "no node at all", phase: wfv1.PhaseRunning, stuck: "-", why: "no node"},
		{name: "every node ended, workflow did not", phase: wfv1.PhaseRunning,
			nodes: []wfv1.NodeStatus{node("wf", NodeSteps, wfv1.PhaseSucceeded)}, stuck: "wf", why: "every node has ended"},
		{name: "step running", phase: wfv1.PhaseRunning,
			nodes: []wfv1.NodeStatus{node("wf", NodeSteps, wfv1.PhaseRunning, "wf-1"), node("wf-1", NodePod, wfv1.PhaseRunning)}},
		{name: "step launched, not yet started", phase: wfv1.PhaseRunning,
			nodes: []wfv1.NodeStatus{node("wf", NodeSteps, wfv1.PhaseRunning, "wf-1"), node("wf-1", NodePod, wfv1.PhasePending)}},
		{name: "lock wait", phase: wfv1.PhaseRunning,
			nodes: []wfv1.NodeStatus{node("wf", NodeSteps, wfv1.PhaseRunning, "wf-1"), waiting}},
		{name: "retry backoff timer", phase: wfv1.PhaseRunning, plan: Plan{WakeAt: at.Add(time.Minute)},
			nodes: []wfv1.NodeStatus{node("wf", NodeRetry, wfv1.PhaseRunning)}},
		{name: "suspend node", phase: wfv1.PhaseRunning,
			nodes: []wfv1.NodeStatus{node("wf", NodeSteps, wfv1.PhaseRunning, "wf-1"), node("wf-1", NodeSuspend, wfv1.PhaseRunning)}},
		{name: "suspended workflow", phase: wfv1.PhaseRunning, suspended: true,
			nodes: []wfv1.NodeStatus{node("wf", NodeSteps, wfv1.PhaseRunning)}},
		{name: "steps to start", phase: wfv1.PhaseRunning, plan: Plan{Start: []Launch{{NodeID: "wf-1"}}},
			nodes: []wfv1.NodeStatus{node("wf", NodeSteps, wfv1.PhaseRunning)}},
		{name: "lock to ask for", phase: wfv1.PhaseRunning, plan: Plan{Acquire: []LockRequest{{Holder: "h"}}},
			nodes: []wfv1.NodeStatus{node("wf", NodeSteps, wfv1.PhaseRunning)}},
		{name: "partial call", phase: wfv1.PhaseRunning, plan: Plan{Partial: true},
			nodes: []wfv1.NodeStatus{node("wf", NodeSteps, wfv1.PhaseRunning)}},
		{name: "pending workflow (waits for its own locks)", phase: wfv1.PhasePending},
		{name: "ended workflow", phase: wfv1.PhaseFailed,
			nodes: []wfv1.NodeStatus{node("wf", NodeSteps, wfv1.PhaseRunning)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wf := &wfv1.Workflow{Metadata: wfv1.ObjectMeta{Name: "wf"}}
			wf.Status.Phase = c.phase
			if c.suspended {
				wf.Spec.Suspend = ptr(true)
			}
			if len(c.nodes) > 0 {
				wf.Status.Nodes = map[string]wfv1.NodeStatus{}
				for _, n := range c.nodes {
					wf.Status.Nodes[n.ID] = n
				}
			}
			plan := c.plan
			st, stuck := CheckStall(wf, &plan)
			switch {
			case c.stuck == "" && stuck:
				t.Fatalf("reported stuck: %s", st.Message())
			case c.stuck != "" && !stuck:
				t.Fatalf("not reported stuck, want node %q", c.stuck)
			case c.stuck == "-" && st.Node != "", c.stuck != "-" && c.stuck != "" && st.Node != c.stuck:
				t.Fatalf("named node %q, want %q", st.Node, c.stuck)
			case stuck && !strings.Contains(st.Message(), c.why):
				t.Fatalf("message %q does not say %q", st.Message(), c.why)
			}
		})
	}
}

// A template the engine cannot move on (here one that claims two types,
// which validation would refuse) ends the workflow in Error at the first
// call, with every node finished and the stuck node named; before, the
// workflow stayed Running forever with nothing to wake it.
func TestStuckWorkflowFailsAtOnce(t *testing.T) {
	wf := &wfv1.Workflow{Metadata: wfv1.ObjectMeta{Name: "wf"}}
	wf.Spec.Entrypoint = "main"
	wf.Spec.Templates = []wfv1.Template{{Name: "main", Steps: []wfv1.ParallelSteps{{{Name: "a", Template: "main"}}},
		Container: &wfv1.Container{Image: "x", Command: []string{"true"}}}}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	plan := Reconcile(wf, nil, now, spec.NewSet())
	if wf.Status.Phase != wfv1.PhaseError || !plan.Done {
		t.Fatalf("phase %s done %v (%s), want Error at once", wf.Status.Phase, plan.Done, wf.Status.Message)
	}
	if !strings.Contains(wf.Status.Message, `node "wf"`) || !strings.Contains(wf.Status.Message, "stuck") {
		t.Fatalf("message %q does not name the stuck node", wf.Status.Message)
	}
	for _, n := range wf.Status.Nodes {
		if !fulfilled(&n) {
			t.Fatalf("node %s left %s after the workflow ended", n.Name, n.Phase)
		}
	}
}
