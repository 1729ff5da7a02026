package domain

import (
	"fmt"
	"strings"
)

// StepKey names one step run to the executor: `<workflow uid>/<node id>`.
type StepKey struct {
	WorkflowUID, NodeID string
}

// ParseStepKey splits a step key.
func ParseStepKey(s string) (StepKey, error) {
	uid, node, ok := strings.Cut(s, "/")
	if !ok || uid == "" || node == "" {
		return StepKey{}, fmt.Errorf("step key %q: %w: want <workflow uid>/<node id>", s, ErrBadKey)
	}
	return StepKey{WorkflowUID: uid, NodeID: node}, nil
}

// String is the step key.
func (k StepKey) String() string { return k.WorkflowUID + "/" + k.NodeID }
