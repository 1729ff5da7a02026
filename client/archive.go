package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/semaflow/semaflow/api/wfv1"
)

// ArchiveListOptions select archived workflows: the list options, and
// Argo's namePrefix with nameFilter (Exact, Contains, Prefix, NotEquals).
type ArchiveListOptions struct {
	ListOptions
	NamePrefix string
	NameFilter string
}

// ListArchived lists a namespace's archived workflows ("": every
// namespace), newest first, without their nodes; a page holds at most the
// server's maximum, and Metadata.Continue asks for the next.
func (c *Client) ListArchived(ctx context.Context, namespace string, o ArchiveListOptions) (*WorkflowList, error) {
	q := o.query()
	if namespace != "" {
		q.Set("namespace", namespace)
	}
	if o.NamePrefix != "" {
		q.Set("namePrefix", o.NamePrefix)
	}
	if o.NameFilter != "" {
		q.Set("nameFilter", o.NameFilter)
	}
	var out WorkflowList
	err := c.do(ctx, http.MethodGet, "/api/v1/archived-workflows?"+q.Encode(), nil, &out)
	return &out, err
}

// GetArchived returns an archived workflow whole, by UID.
func (c *Client) GetArchived(ctx context.Context, uid string) (*wfv1.Workflow, error) {
	var out wfv1.Workflow
	err := c.do(ctx, http.MethodGet, "/api/v1/archived-workflows/"+url.PathEscape(uid), nil, &out)
	return &out, err
}

// DeleteArchived removes an archived workflow, by UID.
func (c *Client) DeleteArchived(ctx context.Context, uid string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/archived-workflows/"+url.PathEscape(uid), nil, nil)
}

// ResubmitArchived submits a new workflow with an archived one's spec,
// params (NAME=VALUE) replacing its arguments, and returns it.
func (c *Client) ResubmitArchived(ctx context.Context, uid string, params []string, memoized bool) (*wfv1.Workflow, error) {
	body := struct {
		UID        string   `json:"uid"`
		Memoized   bool     `json:"memoized,omitempty"`
		Parameters []string `json:"parameters,omitempty"`
	}{uid, memoized, params}
	var out wfv1.Workflow
	err := c.do(ctx, http.MethodPut, "/api/v1/archived-workflows/"+url.PathEscape(uid)+"/resubmit", body, &out)
	return &out, err
}

// RetryArchived runs an archived Failed or Errored workflow again under
// its name (no live workflow may have it) and returns it.
func (c *Client) RetryArchived(ctx context.Context, uid string, opts RetryOptions) (*wfv1.Workflow, error) {
	body := struct {
		UID string `json:"uid"`
		RetryOptions
	}{uid, opts}
	var out wfv1.Workflow
	err := c.do(ctx, http.MethodPut, "/api/v1/archived-workflows/"+url.PathEscape(uid)+"/retry", body, &out)
	return &out, err
}
