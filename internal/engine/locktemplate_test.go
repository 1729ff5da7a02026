package engine

import (
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Hold-time history is keyed by what runs the template: unrelated
// workflows' "main" templates do not share a digest, and repeated runs of
// one pipeline (one generateName, WorkflowTemplate or CronWorkflow) do.
func TestLockTemplateKeys(t *testing.T) {
	node := func(n wfv1.NodeStatus) map[string]wfv1.NodeStatus { return map[string]wfv1.NodeStatus{"n": n} }
	wf := func(meta wfv1.ObjectMeta, ref *wfv1.WorkflowTemplateRef, nodes map[string]wfv1.NodeStatus) *wfv1.Workflow {
		w := &wfv1.Workflow{Metadata: meta}
		w.Spec.Entrypoint, w.Spec.WorkflowTemplateRef, w.Status.Nodes = "main", ref, nodes
		return w
	}
	main := node(wfv1.NodeStatus{TemplateName: "main"})
	tests := []struct {
		name string
		wf   *wfv1.Workflow
		node string
		want string
	}{
		{"generateName", wf(wfv1.ObjectMeta{Name: "long-x7k2p", GenerateName: "long-"}, nil, main), "n", "gen:long-|main"},
		{"another generateName", wf(wfv1.ObjectMeta{Name: "short-a1b2c", GenerateName: "short-"}, nil, main), "n", "gen:short-|main"},
		{"fixed name", wf(wfv1.ObjectMeta{Name: "nightly"}, nil, main), "n", "name:nightly|main"},
		{"workflow-level", wf(wfv1.ObjectMeta{Name: "long-x7k2p", GenerateName: "long-"}, nil, nil), "", "gen:long-|"},
		{"workflowTemplateRef", wf(wfv1.ObjectMeta{Name: "etl-q", GenerateName: "etl-"}, &wfv1.WorkflowTemplateRef{Name: "etl"}, main), "n", "wt:etl|main"},
		{"workflowTemplateRef, workflow-level", wf(wfv1.ObjectMeta{Name: "etl-q"}, &wfv1.WorkflowTemplateRef{Name: "etl", ClusterScope: true}, nil), "", "cwt:etl|"},
		{"submitted from a WorkflowTemplate", wf(wfv1.ObjectMeta{Name: "etl-q", GenerateName: "etl-",
			Labels: map[string]string{"workflows.argoproj.io/workflow-template": "etl"}}, nil, main), "n", "wt:etl|main"},
		{"from a CronWorkflow", wf(wfv1.ObjectMeta{Name: "nightly-1733400000",
			Labels: map[string]string{"workflows.argoproj.io/cron-workflow": "nightly"}}, nil, main), "n", "cron:nightly|main"},
		// A templateRef's template is the WorkflowTemplate's, whoever calls
		// it; so are the templates it calls in turn (its scope).
		{"templateRef", wf(wfv1.ObjectMeta{Name: "a-1", GenerateName: "a-"}, nil,
			node(wfv1.NodeStatus{TemplateRef: &wfv1.TemplateRef{Name: "lib", Template: "load"}})), "n", "wt:lib|load"},
		{"inside a templateRef", wf(wfv1.ObjectMeta{Name: "a-1", GenerateName: "a-"}, nil,
			node(wfv1.NodeStatus{TemplateName: "step", TemplateScope: "namespaced/lib"})), "n", "wt:lib|step"},
		{"inside a cluster templateRef", wf(wfv1.ObjectMeta{Name: "a-1", GenerateName: "a-"}, nil,
			node(wfv1.NodeStatus{TemplateName: "step", TemplateScope: "cluster/lib"})), "n", "cwt:lib|step"},
		{"unknown node", wf(wfv1.ObjectMeta{Name: "a-1"}, nil, nil), "n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lockTemplate(tt.wf, tt.node); got != tt.want {
				t.Fatalf("lockTemplate = %q, want %q", got, tt.want)
			}
		})
	}
}
