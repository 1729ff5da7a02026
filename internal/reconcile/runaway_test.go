package reconcile

import (
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/spec"
)

// A retryStrategy without a limit retries as long as its attempts fail,
// as in Argo. When every attempt fails at once, the node limit ends the
// workflow, and its message names the template that ran away (the one
// with the most nodes), not the steps template around it.
func TestNodeLimitNamesTheRunawayRetry(t *testing.T) {
	wf, res := unchecked(t, header+`  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: ok, template: fine}
    - - {name: apply, template: apply}
  - name: fine
    steps: [[{name: a, template: leaf}, {name: b, template: leaf}]]
  - {name: leaf, suspend: {duration: "0"}}
  - name: apply
    retryStrategy: {retryPolicy: Always}
    steps: [[{name: x, template: leaf, when: "{{= nosuchfn() }}"}]]
`)
	var plan *Plan
	within(t, 20*time.Second, "reconcile of a retry that fails at once without end", func() {
		for range 50 {
			if plan = ReconcileWith(wf, nil, t0.Add(time.Minute), res, spec.Limits{MaxNodes: 200}); plan.Done {
				return
			}
		}
	})
	if wf.Status.Phase != wfv1.PhaseFailed || !plan.Done {
		t.Fatalf("phase %s, want Failed: %s", wf.Status.Phase, wf.Status.Message)
	}
	for _, want := range []string{`template "apply"`, "limit of 200 nodes", "max-nodes", "retr"} {
		if !strings.Contains(wf.Status.Message, want) {
			t.Errorf("message %q does not say %s", wf.Status.Message, want)
		}
	}
	if len(wf.Status.Nodes) > 200 {
		t.Fatalf("%d nodes, over the limit of 200", len(wf.Status.Nodes))
	}
}

// A template semaflow cannot run (a resource) fails the
// same way on every attempt: it is not retried, even by an unlimited
// workflow-level retryStrategy, rather than filling the node limit.
func TestUnrunnableTemplateIsNotRetried(t *testing.T) {
	wf, res := unchecked(t, header+`  entrypoint: main
  retryStrategy: {retryPolicy: Always}
  templates:
  - name: main
    resource: {action: create, manifest: "kind: ConfigMap"}
`)
	var plan *Plan
	within(t, 20*time.Second, "reconcile of an unrunnable template under retry", func() {
		plan = ReconcileWith(wf, nil, t0, res, spec.Limits{})
	})
	root := wf.Status.Nodes["wf"]
	if !plan.Done || wf.Status.Phase != wfv1.PhaseError || root.Type != NodeRetry || len(root.Children) != 1 {
		t.Fatalf("phase %s (%s), root %s with %d attempts; want Error after 1 attempt", wf.Status.Phase, wf.Status.Message, root.Type, len(root.Children))
	}
	if !strings.Contains(wf.Status.Message, "not supported") {
		t.Fatalf("message %q does not say why", wf.Status.Message)
	}
}
