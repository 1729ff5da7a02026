package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

func templatePath(t *wfv1.WorkflowTemplate, cluster bool) string {
	if cluster {
		return "/api/v1/cluster-workflow-templates"
	}
	ns := t.Metadata.Namespace
	if ns == "" {
		ns = "default"
	}
	return "/api/v1/workflow-templates/" + url.PathEscape(ns)
}

// ApplyTemplate creates or replaces a WorkflowTemplate, or a
// ClusterWorkflowTemplate when its kind says so.
func (c *Client) ApplyTemplate(ctx context.Context, t *wfv1.WorkflowTemplate) error {
	cluster := t.Kind == wfv1.KindClusterWorkflowTemplate
	body := map[string]any{"template": t}
	err := c.do(ctx, http.MethodPut, templatePath(t, cluster)+"/"+url.PathEscape(t.Metadata.Name), body, nil)
	if NotFound(err) {
		// An update of a template that does not exist is NotFound, as in
		// Argo: apply creates it.
		err = c.do(ctx, http.MethodPost, templatePath(t, cluster), body, nil)
	}
	return err
}

// CreateTemplate creates a template; a taken name is a 409.
func (c *Client) CreateTemplate(ctx context.Context, t *wfv1.WorkflowTemplate) error {
	cluster := t.Kind == wfv1.KindClusterWorkflowTemplate
	return c.do(ctx, http.MethodPost, templatePath(t, cluster), map[string]any{"template": t}, nil)
}

// ObjectKind selects which stored objects List/Get/Delete act on.
type ObjectKind string

// The object kinds of the API.
const (
	Templates        ObjectKind = "workflow-templates"
	ClusterTemplates ObjectKind = "cluster-workflow-templates"
	CronWorkflows    ObjectKind = "cron-workflows"
	ConfigMaps       ObjectKind = "configmaps"
)

func objectPath(kind ObjectKind, namespace string) string {
	if kind == ClusterTemplates {
		return "/api/v1/" + string(kind)
	}
	return "/api/v1/" + string(kind) + "/" + url.PathEscape(namespace)
}

// ListObjects lists objects of a kind; each item is the object's JSON.
func (c *Client) ListObjects(ctx context.Context, kind ObjectKind, namespace string) ([]json.RawMessage, error) {
	var out struct {
		Items []json.RawMessage `json:"items"`
	}
	err := c.do(ctx, http.MethodGet, objectPath(kind, namespace), nil, &out)
	return out.Items, err
}

// GetObject reads one object into out.
func (c *Client) GetObject(ctx context.Context, kind ObjectKind, namespace, name string, out any) error {
	return c.do(ctx, http.MethodGet, objectPath(kind, namespace)+"/"+url.PathEscape(name), nil, out)
}

// DeleteObject deletes one object.
func (c *Client) DeleteObject(ctx context.Context, kind ObjectKind, namespace, name string) error {
	return c.do(ctx, http.MethodDelete, objectPath(kind, namespace)+"/"+url.PathEscape(name), nil, nil)
}

// ApplyCron creates or replaces a CronWorkflow (a replaced one keeps its
// schedule history).
func (c *Client) ApplyCron(ctx context.Context, cw *wfv1.CronWorkflow) (*wfv1.CronWorkflow, error) {
	ns := cw.Metadata.Namespace
	if ns == "" {
		ns = "default"
	}
	var out wfv1.CronWorkflow
	body := map[string]any{"cronWorkflow": cw}
	err := c.do(ctx, http.MethodPut, objectPath(CronWorkflows, ns)+"/"+url.PathEscape(cw.Metadata.Name), body, &out)
	if NotFound(err) {
		// As for templates: an update never creates, apply does.
		err = c.do(ctx, http.MethodPost, objectPath(CronWorkflows, ns), body, &out)
	}
	return &out, err
}

// SuspendCron stops (suspend) or restarts a CronWorkflow's schedule.
func (c *Client) SuspendCron(ctx context.Context, namespace, name string, suspend bool) error {
	verb := "resume"
	if suspend {
		verb = "suspend"
	}
	return c.do(ctx, http.MethodPut, objectPath(CronWorkflows, namespace)+"/"+url.PathEscape(name)+"/"+verb, map[string]string{}, nil)
}

// LockView is one lock: limit, last fencing token, holders with their
// tokens, and waiters in grant order.
type LockView struct {
	Lock    string            `json:"lock"`
	Limit   int               `json:"limit"`
	Fence   uint64            `json:"fence"`
	Holders map[string]uint64 `json:"holders"`
	Waiters []string          `json:"waiters"`
	// Starts gives each waiter its estimated start as far as this lock
	// decides it; HoldTimes summarises the lock's recorded holds. Both
	// are absent from older servers.
	Starts    map[string]LockStart `json:"starts,omitempty"`
	HoldTimes *LockHoldTimes       `json:"holdTimes,omitempty"`
	LockDetail
}

// LockDetail says what kind of lock it is and lists its holders and
// waiters in detail (the Locks page's view); absent from older servers.
type LockDetail struct {
	// Namespace, Type (mutex or semaphore), Storage (configmap, database
	// or engine) and Name as in Argo's lock metrics; ConfigMap and Key
	// name a ConfigMap semaphore's limit, Key a database semaphore's.
	Namespace string `json:"namespace,omitempty"`
	Type      string `json:"type,omitempty"`
	Storage   string `json:"storage,omitempty"`
	Name      string `json:"name,omitempty"`
	ConfigMap string `json:"configMap,omitempty"`
	Key       string `json:"key,omitempty"`
	// Holding lists the holders, oldest hold first; Queue the waiters in
	// grant order.
	Holding []LockHolding `json:"holding"`
	Queue   []LockWaiting `json:"queue"`
}

// LockParty is a holder or waiter: a workflow (NodeID empty) or one of
// its nodes.
type LockParty struct {
	Holder    string `json:"holder"`
	Namespace string `json:"namespace"`
	Workflow  string `json:"workflow"`
	NodeID    string `json:"nodeId,omitempty"`
	NodeName  string `json:"nodeName,omitempty"`
}

// LockHolding is one holder: its fencing token, since when it holds (nil
// when not recorded) and when it is expected to let go.
type LockHolding struct {
	LockParty
	Token   uint64     `json:"token"`
	Since   *time.Time `json:"since,omitempty"`
	Release *LockStart `json:"release,omitempty"`
}

// LockWaiting is one waiter, in grant order: its priority, since when and
// how long it has waited, its place, the reservation holding it back
// (Reason, ReservedBy) and its estimated start.
type LockWaiting struct {
	LockParty
	Priority      int32      `json:"priority"`
	Since         time.Time  `json:"since"`
	WaitedSeconds float64    `json:"waitedSeconds"`
	Position      int        `json:"position"`
	Reason        string     `json:"reason,omitempty"`
	ReservedBy    string     `json:"reservedBy,omitempty"`
	Start         *LockStart `json:"start,omitempty"`
}

// LockStart is a waiter's estimated start (or a holder's expected end):
// a median and a 90th percentile when Known, else Why there is none; Text
// says it in words ("starts in ~2m10s (90%: 5m)").
type LockStart struct {
	Known bool       `json:"known"`
	Why   string     `json:"why,omitempty"`
	P50   *time.Time `json:"p50,omitempty"`
	P90   *time.Time `json:"p90,omitempty"`
	Text  string     `json:"text"`
}

// LockHoldTimes summarises a lock's recorded hold times.
type LockHoldTimes struct {
	Samples    uint64  `json:"samples"`
	P50Seconds float64 `json:"p50Seconds"`
	P90Seconds float64 `json:"p90Seconds"`
}

// Locks lists the server's locks (lock: one key, or all).
func (c *Client) Locks(ctx context.Context, lock string) ([]LockView, error) {
	return c.LocksIn(ctx, "", lock)
}

// LocksIn is Locks kept to one namespace's locks (all when namespace is
// ""): a token scoped to namespaces may ask only this way.
func (c *Client) LocksIn(ctx context.Context, namespace, lock string) ([]LockView, error) {
	var out struct {
		Items []LockView `json:"items"`
	}
	q := url.Values{"lock": {lock}}
	if namespace != "" {
		q.Set("namespace", namespace)
	}
	err := c.do(ctx, http.MethodGet, "/api/v1/sync-status?"+q.Encode(), nil, &out)
	return out.Items, err
}

// SyncLimit reads a semaphore limit through Argo's sync API: a ConfigMap
// key (cmName set) or a database key; NotFound when none is set.
func (c *Client) SyncLimit(ctx context.Context, namespace, cmName, key string) (int, error) {
	q := url.Values{"type": {"1"}}
	if cmName != "" {
		q = url.Values{"type": {"0"}, "cmName": {cmName}}
	}
	var out struct {
		Limit int `json:"limit"`
	}
	err := c.do(ctx, http.MethodGet, "/api/v1/sync/"+url.PathEscape(namespace)+"/"+url.PathEscape(key)+"?"+q.Encode(), nil, &out)
	return out.Limit, err
}

// SetSyncLimit sets a semaphore limit through Argo's sync API: a
// ConfigMap key (cmName set) or a database key. It is created if needed.
func (c *Client) SetSyncLimit(ctx context.Context, namespace, cmName, key string, limit int) error {
	typ := "CONFIGMAP"
	if cmName == "" {
		typ = "DATABASE"
	}
	body := map[string]any{"type": typ, "cmName": cmName, "key": key, "limit": limit, "namespace": namespace}
	err := c.do(ctx, http.MethodPut, "/api/v1/sync/"+url.PathEscape(namespace)+"/"+url.PathEscape(key), body, nil)
	if NotFound(err) {
		err = c.do(ctx, http.MethodPost, "/api/v1/sync/"+url.PathEscape(namespace), body, nil)
	}
	return err
}
