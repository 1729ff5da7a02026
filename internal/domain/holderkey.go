package domain

import (
	"fmt"
	"strings"
)

// HolderKey names who holds or waits for locks: a workflow (NodeID "",
// `<ns>/<wf>`) or one of its nodes (`<ns>/<wf>/<nodeID>`). Its string form
// is the id in queues, the store and workflow statuses.
type HolderKey struct {
	Namespace, Workflow, NodeID string
}

// ParseHolderKey splits a holder key.
func ParseHolderKey(s string) (HolderKey, error) {
	ns, rest, ok := strings.Cut(s, "/")
	wf, node, hasNode := strings.Cut(rest, "/")
	if !ok || ns == "" || wf == "" || (hasNode && node == "") {
		return HolderKey{}, fmt.Errorf("holder key %q: %w: want <ns>/<workflow> or <ns>/<workflow>/<node id>", s, ErrBadKey)
	}
	return HolderKey{Namespace: ns, Workflow: wf, NodeID: node}, nil
}

// String is the holder key.
func (h HolderKey) String() string {
	if h.NodeID == "" {
		return h.Namespace + "/" + h.Workflow
	}
	return h.Namespace + "/" + h.Workflow + "/" + h.NodeID
}

// Of says whether h is the workflow namespace/workflow or one of its nodes.
func (h HolderKey) Of(namespace, workflow string) bool {
	return h.Namespace == namespace && h.Workflow == workflow
}
