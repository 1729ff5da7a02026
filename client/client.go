// Package client is a Go client of semaflow's HTTP API, which follows Argo
// server's REST paths and JSON shapes.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Client talks to one semaflow server.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// New makes a client for the server at base (e.g. http://127.0.0.1:2746);
// token, when set, is sent as a bearer token.
func New(base, token string) *Client {
	return &Client{base: strings.TrimRight(base, "/"), token: token, http: http.DefaultClient}
}

// APIError is an error answer from the server, in Argo's shape.
type APIError struct {
	Status  int
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *APIError) Error() string { return fmt.Sprintf("%s (HTTP %d)", e.Message, e.Status) }

// NotFound says whether err is a 404 from the server.
func NotFound(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	resp, err := c.send(ctx, method, path, rd)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// send makes one request; an answer other than 2xx becomes an *APIError
// (its body already read and closed).
func (c *Client) send(ctx context.Context, method, path string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("semaflow server at %s: %w", c.base, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		e := &APIError{Status: resp.StatusCode}
		if json.Unmarshal(raw, e) != nil || e.Message == "" {
			e.Message = strings.TrimSpace(string(raw))
		}
		return nil, e
	}
	return resp, nil
}

// CreateWorkflow submits a workflow; the server checks it like lint.
func (c *Client) CreateWorkflow(ctx context.Context, namespace string, wf *wfv1.Workflow) (*wfv1.Workflow, error) {
	var out wfv1.Workflow
	err := c.do(ctx, http.MethodPost, "/api/v1/workflows/"+url.PathEscape(namespace),
		map[string]any{"namespace": namespace, "workflow": wf}, &out)
	return &out, err
}

// GetWorkflow returns a workflow with its nodes.
func (c *Client) GetWorkflow(ctx context.Context, namespace, name string) (*wfv1.Workflow, error) {
	var out wfv1.Workflow
	err := c.do(ctx, http.MethodGet, "/api/v1/workflows/"+url.PathEscape(namespace)+"/"+url.PathEscape(name), nil, &out)
	return &out, err
}

// WorkflowList is a page of workflows; Continue fetches the next.
type WorkflowList struct {
	Metadata struct {
		Continue string `json:"continue,omitempty"`
	} `json:"metadata"`
	Items []wfv1.Workflow `json:"items"`
}

// ListOptions select and page a list.
type ListOptions struct {
	Limit         int
	Continue      string
	LabelSelector string // Kubernetes syntax: team=a,tier in (x,y),!legacy
	FieldSelector string // metadata.name, metadata.namespace, status.phase
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	if o.Limit > 0 {
		q.Set("listOptions.limit", strconv.Itoa(o.Limit))
	}
	if o.Continue != "" {
		q.Set("listOptions.continue", o.Continue)
	}
	if o.LabelSelector != "" {
		q.Set("listOptions.labelSelector", o.LabelSelector)
	}
	if o.FieldSelector != "" {
		q.Set("listOptions.fieldSelector", o.FieldSelector)
	}
	return q
}

// ListWorkflows lists a namespace's workflows, newest first, without
// their nodes.
func (c *Client) ListWorkflows(ctx context.Context, namespace string, o ListOptions) (*WorkflowList, error) {
	var out WorkflowList
	err := c.do(ctx, http.MethodGet, "/api/v1/workflows/"+url.PathEscape(namespace)+"?"+o.query().Encode(), nil, &out)
	return &out, err
}

// DeleteWorkflow deletes a workflow, terminating it first if it runs.
func (c *Client) DeleteWorkflow(ctx context.Context, namespace, name string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/workflows/"+url.PathEscape(namespace)+"/"+url.PathEscape(name), nil, nil)
}

// Workflow actions, by their path on the server.
const (
	Stop      = "stop"      // start nothing new, run exit handlers
	Terminate = "terminate" // kill the steps, skip exit handlers
	Suspend   = "suspend"   // start nothing new until resumed
	Resume    = "resume"    // lift a suspension, complete suspend steps
	Retry     = "retry"     // run a failed workflow's failed steps again
	Resubmit  = "resubmit"  // submit a new workflow with the same spec
)

// Act applies an action (Stop, Terminate, Suspend, Resume, Retry,
// Resubmit) to a workflow and returns it; for Resubmit, the new one.
func (c *Client) Act(ctx context.Context, namespace, name, action string) (*wfv1.Workflow, error) {
	var out wfv1.Workflow
	err := c.do(ctx, http.MethodPut, "/api/v1/workflows/"+url.PathEscape(namespace)+"/"+url.PathEscape(name)+"/"+action, map[string]string{}, &out)
	return &out, err
}

// ResubmitWorkflow resubmits a workflow (Act's Resubmit); memoized, as
// `argo resubmit --memoized`, makes the new one reuse the old one's
// succeeded steps (the old one must be Failed or Errored).
func (c *Client) ResubmitWorkflow(ctx context.Context, namespace, name string, memoized bool) (*wfv1.Workflow, error) {
	var out wfv1.Workflow
	body := struct {
		Memoized bool `json:"memoized,omitempty"`
	}{memoized}
	err := c.do(ctx, http.MethodPut, "/api/v1/workflows/"+url.PathEscape(namespace)+"/"+url.PathEscape(name)+"/resubmit", body, &out)
	return &out, err
}

// RetryOptions are `argo retry`'s --restart-successful and
// --node-field-selector: with both, the succeeded nodes the selector
// matches, and what ran after them, run again too.
type RetryOptions struct {
	RestartSuccessful bool   `json:"restartSuccessful,omitempty"`
	NodeFieldSelector string `json:"nodeFieldSelector,omitempty"`
}

// RetryWorkflow retries a workflow with options; Act(..., Retry) is the
// same without them.
func (c *Client) RetryWorkflow(ctx context.Context, namespace, name string, opts RetryOptions) (*wfv1.Workflow, error) {
	var out wfv1.Workflow
	err := c.do(ctx, http.MethodPut, "/api/v1/workflows/"+url.PathEscape(namespace)+"/"+url.PathEscape(name)+"/retry", opts, &out)
	return &out, err
}

// ApplyConfigMap creates or replaces a ConfigMap; a changed semaphore
// limit applies at once.
func (c *Client) ApplyConfigMap(ctx context.Context, cm *wfv1.ConfigMap) error {
	c2 := *cm
	c2.APIVersion, c2.Kind = "v1", wfv1.KindConfigMap
	cm = &c2
	ns := cm.Metadata.Namespace
	if ns == "" {
		ns = "default"
	}
	return c.do(ctx, http.MethodPost, "/api/v1/configmaps/"+url.PathEscape(ns), cm, nil)
}

// Version returns the server's version.
func (c *Client) Version(ctx context.Context) (string, error) {
	var out struct {
		Version string `json:"version"`
	}
	err := c.do(ctx, http.MethodGet, "/api/v1/version", nil, &out)
	return out.Version, err
}
