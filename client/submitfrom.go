package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/semaflow/semaflow/api/wfv1"
)

// SubmitOptions are what `submit --from` may set on the workflow it makes.
type SubmitOptions struct {
	Name         string   `json:"name,omitempty"`
	GenerateName string   `json:"generateName,omitempty"`
	Entrypoint   string   `json:"entryPoint,omitempty"`
	Parameters   []string `json:"parameters,omitempty"`
	Labels       string   `json:"labels,omitempty"`
	Priority     *int32   `json:"priority,omitempty"`
}

// SubmitFrom submits a workflow made from a stored WorkflowTemplate,
// ClusterWorkflowTemplate or CronWorkflow; kind takes Argo's names for
// them (workflowtemplate, clusterworkflowtemplate, cronwf, ...).
func (c *Client) SubmitFrom(ctx context.Context, namespace, kind, name string, opts SubmitOptions) (*wfv1.Workflow, error) {
	var out wfv1.Workflow
	body := map[string]any{"namespace": namespace, "resourceKind": kind, "resourceName": name, "submitOptions": opts}
	err := c.do(ctx, http.MethodPost, "/api/v1/workflows/"+url.PathEscape(namespace)+"/submit", body, &out)
	return &out, err
}
