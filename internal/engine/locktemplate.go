package engine

import "github.com/semaflow/semaflow/api/wfv1"

// lockTemplate names what takes a workflow's or node's locks, the key of
// its hold-time history (locks.Request.Template): a node by its template
// ("<workflow template>/<template>" through a templateRef), the workflow
// by "workflow:" and the WorkflowTemplate it runs or else its entrypoint,
// so a template and a workflow of the same name keep separate histories.
// "" when the node is not known: its holds count for the lock alone.
func lockTemplate(wf *wfv1.Workflow, nodeID string) string {
	if nodeID == "" {
		if ref := wf.Spec.WorkflowTemplateRef; ref != nil && ref.Name != "" {
			return "workflow:" + ref.Name
		}
		return "workflow:" + wf.Spec.Entrypoint
	}
	n, ok := wf.Status.Nodes[nodeID]
	if !ok {
		return ""
	}
	if n.TemplateRef != nil && n.TemplateRef.Name != "" {
		return n.TemplateRef.Name + "/" + n.TemplateRef.Template
	}
	return n.TemplateName
}
