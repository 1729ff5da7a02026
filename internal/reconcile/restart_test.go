package reconcile

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// restartWorkflow is a Succeeded workflow: steps [a] [b, c] [d], where c
// is a DAG of x, y (depends on x) and z.
func restartWorkflow(dagTemplate string) *wfv1.Workflow {
	at := func(s int) *time.Time { t := time.Unix(int64(s), 0); return &t }
	node := func(id, display, typ, tmpl string, start int, children ...string) wfv1.NodeStatus {
		return wfv1.NodeStatus{ID: id, Name: id, DisplayName: display, Type: typ, TemplateName: tmpl,
			Phase: wfv1.PhaseSucceeded, StartedAt: at(start), FinishedAt: at(start + 1), Children: children}
	}
	pod := wfv1.Template{Name: "pod", Container: &wfv1.Container{Image: "x"}}
	dag := wfv1.Template{Name: "diamond", DAG: &wfv1.DAGTemplate{Tasks: []wfv1.DAGTask{
		{Name: "x", Template: "pod"}, {Name: "y", Template: "pod", Depends: "x"}, {Name: "z", Template: "pod"}}}}
	return &wfv1.Workflow{Metadata: wfv1.ObjectMeta{Name: "w", Namespace: "default"},
		Spec: wfv1.WorkflowSpec{Entrypoint: "main", Templates: []wfv1.Template{pod, dag}},
		Status: wfv1.WorkflowStatus{Phase: wfv1.PhaseSucceeded, Nodes: map[string]wfv1.NodeStatus{
			"w":        node("w", "w", NodeSteps, "main", 0, "w[0]", "w[1]", "w[2]"),
			"w[0]":     node("w[0]", "[0]", NodeStepGroup, "", 0, "w[0].a"),
			"w[0].a":   node("w[0].a", "a", NodePod, "pod", 0),
			"w[1]":     node("w[1]", "[1]", NodeStepGroup, "", 2, "w[1].b", "w[1].c"),
			"w[1].b":   node("w[1].b", "b", NodePod, "pod", 2),
			"w[1].c":   node("w[1].c", "c", NodeDAG, dagTemplate, 2, "w[1].c.z", "w[1].c.x", "w[1].c.y"),
			"w[1].c.z": node("w[1].c.z", "z", NodePod, "pod", 2),
			"w[1].c.x": node("w[1].c.x", "x", NodePod, "pod", 3),
			"w[1].c.y": node("w[1].c.y", "y", NodePod, "pod", 5),
			"w[2]":     node("w[2]", "[2]", NodeStepGroup, "", 7, "w[2].d"),
			"w[2].d":   node("w[2].d", "d", NodePod, "pod", 7),
			"w.onExit": node("w.onExit", "w.onExit", NodePod, "pod", 9),
		}}}
}

func TestRetryRestartSuccessful(t *testing.T) {
	cases := []struct {
		name, dagTemplate, selector string
		removed, reopened           string
	}{
		// x restarts y (depends on it) but not z, and the step group
		// after c's group; the groups around them reopen.
		{"dag dependents", "diamond", "displayName=x",
			"[w.onExit w[1].c.x w[1].c.y w[2] w[2].d]", "[w w[1] w[1].c]"},
		// A DAG whose template cannot be found: every task started at or
		// after x runs again.
		{"inline dag", "", "displayName=x",
			"[w.onExit w[1].c.x w[1].c.y w[2] w[2].d]", "[w w[1] w[1].c]"},
		// A restarted group takes everything inside it.
		{"group", "diamond", "name=w[1].c",
			"[w.onExit w[1].c w[1].c.x w[1].c.y w[1].c.z w[2] w[2].d]", "[w w[1]]"},
		// Terms are anded; the last group has nothing after it.
		{"and", "diamond", "templateName=pod,displayName!=a,displayName!=b,displayName!=x,displayName!=y,displayName!=z,displayName!=w.onExit",
			"[w.onExit w[2].d]", "[w w[2]]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wf := restartWorkflow(c.dagTemplate)
			removed, err := PrepareRetry(wf, RetryOptions{RestartSuccessful: true, NodeFieldSelector: c.selector}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(removed); got != c.removed {
				t.Errorf("removed %s, want %s", got, c.removed)
			}
			var reopened []string
			for _, id := range []string{"w", "w[0]", "w[1]", "w[1].c", "w[2]"} {
				if n, ok := wf.Status.Nodes[id]; ok && n.Phase == wfv1.PhaseRunning {
					reopened = append(reopened, id)
				}
			}
			if got := fmt.Sprint(reopened); got != c.reopened {
				t.Errorf("reopened %s, want %s", got, c.reopened)
			}
			for id, n := range wf.Status.Nodes {
				for _, ch := range n.Children {
					if _, ok := wf.Status.Nodes[ch]; !ok {
						t.Errorf("%s still lists removed child %s", id, ch)
					}
				}
			}
			if wf.Status.Phase != wfv1.PhasePending {
				t.Errorf("workflow is %s after the retry", wf.Status.Phase)
			}
		})
	}
}

func TestRetryRestartSuccessfulRefusals(t *testing.T) {
	cases := []struct {
		opts     RetryOptions
		selector bool // a SelectorError, else a state error
		want     string
	}{
		{RetryOptions{}, false, "set restartSuccessful and nodeFieldSelector"},
		{RetryOptions{NodeFieldSelector: "displayName=x"}, false, "set restartSuccessful and nodeFieldSelector"},
		{RetryOptions{RestartSuccessful: true, NodeFieldSelector: "displayName=nope"}, true, `"displayName=nope" matches no node`},
		{RetryOptions{RestartSuccessful: true, NodeFieldSelector: "colour=red"}, true, `field "colour" is not a node field`},
		{RetryOptions{RestartSuccessful: true, NodeFieldSelector: "phase in (Succeeded)"}, true, "fields take only"},
	}
	for _, c := range cases {
		wf := restartWorkflow("diamond")
		_, err := PrepareRetry(wf, c.opts, nil)
		var bad *SelectorError
		if err == nil || !strings.Contains(err.Error(), c.want) || errors.As(err, &bad) != c.selector {
			t.Errorf("%+v: error %v, want one with %q (selector error: %v)", c.opts, err, c.want, c.selector)
		}
		if wf.Status.Phase != wfv1.PhaseSucceeded || len(wf.Status.Nodes) != 12 {
			t.Errorf("%+v: a refused retry changed the workflow", c.opts)
		}
	}
}
