package engine

import (
	"context"
	"slices"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
)

// MaxNodeWorkflows is how many of a node's workflows Nodes lists by
// default; it counts them all.
const MaxNodeWorkflows = 100

// unfinishedPhases are the phases of workflows a session still owns and
// runs (those TakeOver moves).
var unfinishedPhases = []string{"", wfv1.PhasePending, wfv1.PhaseRunning}

// NodeInfo is one engine as the store records it (its session, see
// store.Session) and the unfinished workflows it owns. The JSON names are
// the API's (GET /api/v1/nodes).
type NodeInfo struct {
	// Name is the node name (--node-name).
	Name    string `json:"name"`
	Session string `json:"session"`
	Kind    string `json:"kind"`
	Host    string `json:"host"`
	PID     int    `json:"pid"`
	// Addr is where a server listens; empty for run.
	Addr    string    `json:"address,omitempty"`
	Started time.Time `json:"startedAt"`
	// Expires is the end of the lease as last renewed.
	Expires time.Time `json:"leaseExpiresAt"`
	// Live says the lease has not expired: an engine whose lease expired
	// may be gone, and its workflows go to the next engine that starts.
	Live bool `json:"live"`
	// Self says the session is the answering engine's.
	Self bool `json:"self"`
	// WorkflowCount counts the unfinished workflows the session owns;
	// Workflows lists the newest of them, and Truncated says it stopped
	// short of the count.
	WorkflowCount int            `json:"workflowCount"`
	Workflows     []NodeWorkflow `json:"workflows"`
	Truncated     bool           `json:"workflowsTruncated"`
}

// NodeWorkflow is one unfinished workflow a node owns.
type NodeWorkflow struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Phase     string `json:"phase"`
}

// NodesOptions narrow what Nodes tells of each node's workflows.
type NodesOptions struct {
	// Namespaces, when set, keep only those namespaces' workflows, in the
	// count too (a scoped token learns nothing of the others).
	Namespaces []string
	// Limit is how many workflows are listed per node; 0 means
	// MaxNodeWorkflows.
	Limit int
}

// Nodes lists the engines recorded in the store, oldest first, this one
// among them, with what each runs.
func (e *Engine) Nodes(ctx context.Context, opts NodesOptions) ([]NodeInfo, error) {
	return ReadNodes(ctx, e.store, e.SessionID(), opts)
}

// ReadNodes is Nodes read from a store alone (semaflow nodes --db): self,
// when set, is the session of the engine that asks. It reads in one
// transaction, one query per session: the workflows are counted as the
// store lists them, and only those listed are decoded in full.
func ReadNodes(ctx context.Context, s store.Store, self string, opts NodesOptions) ([]NodeInfo, error) {
	limit := opts.Limit
	if limit <= 0 {
		limit = MaxNodeWorkflows
	}
	now := time.Now()
	var out []NodeInfo
	err := s.View(ctx, func(tx store.Tx) error {
		sessions, err := tx.ListSessions(ctx)
		if err != nil {
			return err
		}
		out = make([]NodeInfo, 0, len(sessions))
		for _, ss := range sessions {
			n := NodeInfo{Name: ss.Node, Session: ss.ID, Kind: ss.Kind, Host: ss.Host, PID: ss.PID, Addr: ss.Addr,
				Started: ss.Started.UTC(), Expires: ss.Expires.UTC(), Live: ss.Expires.After(now), Self: self != "" && ss.ID == self,
				Workflows: []NodeWorkflow{}}
			if err := nodeWorkflows(ctx, tx, &n, opts.Namespaces, limit); err != nil {
				return err
			}
			out = append(out, n)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// nodeWorkflows counts and lists the unfinished workflows of n's session.
func nodeWorkflows(ctx context.Context, tx store.Tx, n *NodeInfo, namespaces []string, limit int) error {
	lo := store.ListOptions{Session: n.Session, Phases: unfinishedPhases}
	if len(namespaces) == 1 {
		lo.Namespace = namespaces[0]
	}
	// Match sees every row the store's filter keeps, decoded only in
	// part: it counts them all and keeps the first limit, which alone
	// are decoded in full.
	lo.Match = func(wf *wfv1.Workflow) bool {
		if len(namespaces) > 1 && !slices.Contains(namespaces, wf.Metadata.Namespace) {
			return false
		}
		n.WorkflowCount++
		return n.WorkflowCount <= limit
	}
	list, _, err := tx.ListWorkflows(ctx, lo)
	if err != nil {
		return err
	}
	for _, wf := range list {
		n.Workflows = append(n.Workflows, NodeWorkflow{Namespace: wf.Metadata.Namespace, Name: wf.Metadata.Name, Phase: wf.Status.Phase})
	}
	n.Truncated = n.WorkflowCount > len(n.Workflows)
	return nil
}

// NodeSummary is what the metrics tell of the nodes, read at each scrape.
type NodeSummary struct {
	// Self is this engine's session as the store records it; nil without
	// one (or once it was taken over).
	Self *store.Session
	// Live counts the recorded sessions whose lease has not expired, this
	// engine's included.
	Live int
	// Workflows counts the workflows this engine runs: the unfinished
	// ones it owns, counted in memory.
	Workflows int
}

// NodeSummary reads the sessions (one query) and counts this engine's
// runs; no workflow is read.
func (e *Engine) NodeSummary(ctx context.Context) (NodeSummary, error) {
	var sum NodeSummary
	e.mu.Lock()
	sum.Workflows = len(e.runs)
	e.mu.Unlock()
	var sessions []store.Session
	err := e.store.View(ctx, func(tx store.Tx) error {
		var err error
		sessions, err = tx.ListSessions(ctx)
		return err
	})
	if err != nil {
		return sum, err
	}
	id, now := e.SessionID(), time.Now()
	for i, ss := range sessions {
		if ss.Expires.After(now) {
			sum.Live++
		}
		if id != "" && ss.ID == id {
			sum.Self = &sessions[i]
		}
	}
	return sum, nil
}
