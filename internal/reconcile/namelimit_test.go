package reconcile

import (
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/spec"
)

// deepLongNames is the hostile shape: node names grow with depth, so a
// recursive template with long step names makes nodes whose names alone
// outweigh the node limit's intent.
func deepLongNames(count string) string {
	n := strings.Repeat("A", 60)
	return header + `  entrypoint: ` + n + `
  templates:
  - name: ` + n + `
    steps:
    - - {name: ` + n + `, template: ` + n + `, withSequence: {count: "` + count + `"}}
`
}

// One node's name is capped: a deep recursion fails when a name would
// pass the cap, naming the limit and the template, with a short message.
func TestNodeNameLengthCapped(t *testing.T) {
	wf, res := unchecked(t, deepLongNames("1"))
	var plan *Plan
	within(t, 20*time.Second, "reconcile of a deep recursion with long names", func() {
		plan = ReconcileWith(wf, nil, t0, res, spec.Limits{MaxNodes: 400})
	})
	if wf.Status.Phase != wfv1.PhaseFailed || !plan.Done {
		t.Fatalf("phase %s, want Failed: %s", wf.Status.Phase, wf.Status.Message)
	}
	msg := wf.Status.Message
	for _, want := range []string{"max-node-name", "AAAAAAAAAA", "2048"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not name %s", msg, want)
		}
	}
	if len(msg) > 500 {
		t.Errorf("message is %d bytes, want it short: %.300s...", len(msg), msg)
	}
	for _, n := range wf.Status.Nodes {
		if len(n.Name) > 2048 {
			t.Fatalf("node name of %d bytes kept", len(n.Name))
		}
	}
}

// The sum of node names is bounded: a wide loop under a recursion fails
// on the byte budget before its nodes are made.
func TestNodeNameBytesBudget(t *testing.T) {
	const budget = 64 << 10
	wf, res := unchecked(t, deepLongNames("199"))
	var plan *Plan
	within(t, 20*time.Second, "reconcile of a wide recursion with long names", func() {
		plan = ReconcileWith(wf, nil, t0, res, spec.Limits{MaxNodes: 20000, MaxNodeName: 1 << 20, MaxNodeNameBytes: budget})
	})
	if wf.Status.Phase != wfv1.PhaseFailed || !plan.Done {
		t.Fatalf("phase %s, want Failed: %s", wf.Status.Phase, wf.Status.Message)
	}
	msg := wf.Status.Message
	for _, want := range []string{"max-node-name-bytes", "65536", "AAAAAAAAAA"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not name %s", msg, want)
		}
	}
	if len(msg) > 500 {
		t.Errorf("message is %d bytes, want it short", len(msg))
	}
	total := 0
	for _, n := range wf.Status.Nodes {
		total += len(n.Name)
	}
	if total > budget {
		t.Fatalf("node names sum to %d bytes, over the budget of %d", total, budget)
	}
}
