package client

import (
	"context"
	"net/http"
	"time"
)

// Node is one engine the server's store records (its session) and the
// unfinished workflows it owns, as GET /api/v1/nodes answers.
type Node struct {
	// Name is the node name (--node-name).
	Name    string `json:"name"`
	Session string `json:"session"`
	// Kind is "server", "run" or "sync".
	Kind string `json:"kind"`
	Host string `json:"host"`
	PID  int    `json:"pid"`
	// Addr is where a server listens.
	Addr    string    `json:"address,omitempty"`
	Started time.Time `json:"startedAt"`
	// Expires is the end of the engine's lease, as last renewed.
	Expires time.Time `json:"leaseExpiresAt"`
	// Live says the lease had not expired when the server answered.
	Live bool `json:"live"`
	// Self says the node is the server that answered.
	Self bool `json:"self"`
	// WorkflowCount counts the node's unfinished workflows (those the
	// token may see); Workflows lists the newest, Truncated says not all.
	WorkflowCount int            `json:"workflowCount"`
	Workflows     []NodeWorkflow `json:"workflows"`
	Truncated     bool           `json:"workflowsTruncated"`
}

// NodeWorkflow is one unfinished workflow of a node.
type NodeWorkflow struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Phase     string `json:"phase"`
}

// Nodes lists the engines recorded in the server's store, oldest first.
func (c *Client) Nodes(ctx context.Context) ([]Node, error) {
	var out struct {
		Items []Node `json:"items"`
	}
	err := c.do(ctx, http.MethodGet, "/api/v1/nodes", nil, &out)
	return out.Items, err
}
