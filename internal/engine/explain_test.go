package engine_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/eta"
	"github.com/semaflow/semaflow/internal/lockq"
	"github.com/semaflow/semaflow/internal/reconcile"
	"github.com/semaflow/semaflow/internal/store"
)

var explainNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func pending(ns, name string) *wfv1.Workflow {
	wf := &wfv1.Workflow{}
	wf.Metadata.Namespace, wf.Metadata.Name = ns, name
	wf.Status.Phase = wfv1.PhasePending
	return wf
}

// digestOf is a stored digest of n holds of d each.
func digestOf(t *testing.T, lock string, n int, d time.Duration) store.HoldStats {
	t.Helper()
	var dg eta.Digest
	for range n {
		dg.Add(d)
	}
	b, err := dg.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	return store.HoldStats{Lock: lock, Digest: string(b)}
}

// Each holder of a lock a workflow waits for, and each hold of its own,
// comes with its expected release: from the lock's hold times and how
// long it has held, or unknown while there is no history, in sentences
// and in JSON.
func TestExplainSaysWhenHoldersRelease(t *testing.T) {
	const db, fresh = "default/Mutex/db", "default/Mutex/fresh"
	st := &store.LockState{
		Locks: []store.LockInfo{{Key: db, Limit: 1, Fence: 1}, {Key: fresh, Limit: 1, Fence: 1}},
		Holds: map[string][]domain.Token{"default/holder": {{Lock: db, Value: 1}}, "default/other": {{Lock: fresh, Value: 1}}},
		HoldInfo: map[string]store.HoldInfo{
			"default/holder": {Since: explainNow.Add(-30 * time.Second)},
			"default/other":  {Since: explainNow.Add(-10 * time.Second)},
		},
		Waiters: []domain.QueuedWaiter{{Waiter: domain.Waiter{Holder: "default/low", Locks: []string{db, fresh}, Created: explainNow.Add(-time.Minute), Seq: 1},
			Enqueued: explainNow.Add(-time.Minute)}},
		Stats:   []store.HoldStats{digestOf(t, db, eta.MinSamples, 90*time.Second)},
		NextSeq: 2,
	}
	x, err := engine.ExplainFrom(pending("default", "low"), st, lockq.Config{}, nil, engine.ExplainOptions{}, explainNow)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(x.Lines, "\n")
	for _, want := range []string{
		"  Held by workflow default/holder, token 1, since 11:59:30 (30s ago), expected to release in ~1m0s (90%: 1m0s).",
		"  Held by workflow default/other, token 1, since 11:59:50 (10s ago), release time unknown (no history yet).",
	} {
		want = strings.ReplaceAll(want, "~1m0s (90%: 1m0s)", "~1m (90%: 1m)")
		if !strings.Contains(text, want) {
			t.Errorf("explain low: no line %q in\n%s", want, text)
		}
	}
	if len(x.Releases) != 2 {
		t.Fatalf("releases %+v", x.Releases)
	}
	for _, r := range x.Releases {
		switch r.Holder {
		case "default/holder":
			if r.Lock != db || !r.Release.Known || r.Release.P50 == nil || !r.Release.P50.Equal(explainNow.Add(time.Minute)) {
				t.Errorf("release of default/holder: %+v", r)
			}
		case "default/other":
			if r.Lock != fresh || r.Release.Known || r.Release.Why != eta.NoHistory {
				t.Errorf("release of default/other: %+v", r)
			}
		default:
			t.Errorf("release of %s", r.Holder)
		}
	}
	// The holder's own explanation says the same of its hold.
	h, err := engine.ExplainFrom(pending("default", "holder"), st, lockq.Config{}, nil, engine.ExplainOptions{}, explainNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Holding) != 1 || h.Holding[0].Release == nil || !h.Holding[0].Release.Known ||
		!slices.Contains(h.Lines, "Workflow default/holder holds default/Mutex/db, token 1, since 11:59:30 (30s ago), expected to release in ~1m (90%: 1m).") {
		t.Errorf("explain holder: %+v\n%s", h.Holding, strings.Join(h.Lines, "\n"))
	}
}

// A steps or DAG template's own parallelism that keeps a ready child from
// starting is a throttle, as the workflow's spec.parallelism is.
func TestExplainTemplateParallelism(t *testing.T) {
	one := int64(1)
	leaf := wfv1.Template{Name: "leaf", Container: &wfv1.Container{Image: "x"}}
	node := func(wf *wfv1.Workflow, name, typ, phase, tmpl string, children ...string) string {
		id := reconcile.NodeID(wf.Metadata.Name, name)
		if wf.Status.Nodes == nil {
			wf.Status.Nodes = map[string]wfv1.NodeStatus{}
		}
		n := wfv1.NodeStatus{ID: id, Name: name, DisplayName: name, Type: typ, Phase: phase, TemplateName: tmpl}
		for _, c := range children {
			n.Children = append(n.Children, reconcile.NodeID(wf.Metadata.Name, c))
		}
		wf.Status.Nodes[id] = n
		return id
	}
	steps := pending("default", "st")
	steps.Status.Phase = wfv1.PhaseRunning
	steps.Spec.Templates = []wfv1.Template{{Name: "main", Parallelism: &one,
		Steps: []wfv1.ParallelSteps{{{Name: "a", Template: "leaf"}, {Name: "b", Template: "leaf"}}}}, leaf}
	stepsID := node(steps, "st", "Steps", wfv1.PhaseRunning, "main", "st[0]")
	node(steps, "st[0]", "StepGroup", wfv1.PhaseRunning, "", "st[0].a")
	runningA := node(steps, "st[0].a", "Pod", wfv1.PhaseRunning, "leaf")

	dag := pending("default", "dg")
	dag.Status.Phase = wfv1.PhaseRunning
	dag.Spec.Templates = []wfv1.Template{{Name: "main", Parallelism: &one, DAG: &wfv1.DAGTemplate{Tasks: []wfv1.DAGTask{
		{Name: "a", Template: "leaf"}, {Name: "b", Template: "leaf"}, {Name: "c", Template: "leaf", Dependencies: []string{"a"}}}}}, leaf}
	dagID := node(dag, "dg", "DAG", wfv1.PhaseRunning, "main", "dg.a")
	dagA := node(dag, "dg.a", "Pod", wfv1.PhaseRunning, "leaf")

	st := &store.LockState{}
	for _, c := range []struct {
		wf              *wfv1.Workflow
		node, a, nodeID string
	}{{steps, "st", runningA, stepsID}, {dag, "dg", dagA, dagID}} {
		for _, target := range []string{"", c.node} {
			x, err := engine.ExplainFrom(c.wf, st, lockq.Config{}, nil, engine.ExplainOptions{Node: target}, explainNow)
			if err != nil {
				t.Fatal(err)
			}
			want := engine.Throttle{Kind: "template-parallelism", Limit: 1, Running: []string{c.a}, Template: "main", Node: c.nodeID}
			if len(x.Throttles) != 1 || fmt.Sprint(x.Throttles[0]) != fmt.Sprint(want) {
				t.Errorf("explain %s %s: throttles %+v, want %+v", c.wf.Metadata.Name, target, x.Throttles, want)
			}
			line := fmt.Sprintf("The parallelism (1) of template main (node %s) holds back its children: 1 of them runs (%s (%s.a)).", c.nodeID, c.a, c.node)
			if c.node == "st" {
				line = strings.Replace(line, "st.a", "st[0].a", 1)
			}
			if !slices.Contains(x.Lines, line) {
				t.Errorf("explain %s %s: no line %q in\n%s", c.wf.Metadata.Name, target, line, strings.Join(x.Lines, "\n"))
			}
		}
	}
	// Once b runs too (no parallelism), nothing is held back.
	free := *dag
	free.Spec.Templates = slices.Clone(dag.Spec.Templates)
	free.Spec.Templates[0].Parallelism = nil
	if x, err := engine.ExplainFrom(&free, st, lockq.Config{}, nil, engine.ExplainOptions{}, explainNow); err != nil || len(x.Throttles) != 0 {
		t.Errorf("no parallelism: %+v, %v", x, err)
	}
}
