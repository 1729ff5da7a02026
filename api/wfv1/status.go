package wfv1

import "time"

// Workflow and node phases, as Argo names them.
const (
	PhasePending   = "Pending"
	PhaseRunning   = "Running"
	PhaseSucceeded = "Succeeded"
	PhaseSkipped   = "Skipped"
	PhaseFailed    = "Failed"
	PhaseError     = "Error"
	PhaseOmitted   = "Omitted"
)

// WorkflowStatus is the observed state of a workflow.
type WorkflowStatus struct {
	Phase                      string                 `json:"phase,omitempty"`
	StartedAt                  *time.Time             `json:"startedAt,omitempty"`
	FinishedAt                 *time.Time             `json:"finishedAt,omitempty"`
	EstimatedDuration          int64                  `json:"estimatedDuration,omitempty"`
	Progress                   string                 `json:"progress,omitempty"`
	Message                    string                 `json:"message,omitempty"`
	Nodes                      map[string]NodeStatus  `json:"nodes,omitempty"`
	StoredTemplates            map[string]Template    `json:"storedTemplates,omitempty"`
	StoredWorkflowTemplateSpec *WorkflowSpec          `json:"storedWorkflowTemplateSpec,omitempty"`
	Outputs                    *Outputs               `json:"outputs,omitempty"`
	Conditions                 []Condition            `json:"conditions,omitempty"`
	ResourcesDuration          map[string]int64       `json:"resourcesDuration,omitempty"`
	Synchronization            *SynchronizationStatus `json:"synchronization,omitempty"`
}

// NodeStatus is the observed state of one node of a workflow.
type NodeStatus struct {
	ID                    string                     `json:"id"`
	Name                  string                     `json:"name"`
	DisplayName           string                     `json:"displayName,omitempty"`
	Type                  string                     `json:"type"`
	TemplateName          string                     `json:"templateName,omitempty"`
	TemplateRef           *TemplateRef               `json:"templateRef,omitempty"`
	TemplateScope         string                     `json:"templateScope,omitempty"`
	Phase                 string                     `json:"phase,omitempty"`
	BoundaryID            string                     `json:"boundaryID,omitempty"`
	Message               string                     `json:"message,omitempty"`
	StartedAt             *time.Time                 `json:"startedAt,omitempty"`
	FinishedAt            *time.Time                 `json:"finishedAt,omitempty"`
	EstimatedDuration     int64                      `json:"estimatedDuration,omitempty"`
	Progress              string                     `json:"progress,omitempty"`
	ResourcesDuration     map[string]int64           `json:"resourcesDuration,omitempty"`
	Daemoned              *bool                      `json:"daemoned,omitempty"`
	PodIP                 string                     `json:"podIP,omitempty"` // a daemoned node's, for {{steps.X.ip}}: the loopback address
	Inputs                *Inputs                    `json:"inputs,omitempty"`
	Outputs               *Outputs                   `json:"outputs,omitempty"`
	Children              []string                   `json:"children,omitempty"`
	OutboundNodes         []string                   `json:"outboundNodes,omitempty"`
	HostNodeName          string                     `json:"hostNodeName,omitempty"`
	SynchronizationStatus *NodeSynchronizationStatus `json:"synchronizationStatus,omitempty"`
	NodeFlag              *NodeFlag                  `json:"nodeFlag,omitempty"`
	MemoizationStatus     *MemoizationStatus         `json:"memoizationStatus,omitempty"`
}

// MemoizationStatus says how a node of a memoized template used its
// cache: Hit when its outputs came from the cache and it did not run.
type MemoizationStatus struct {
	Hit       bool   `json:"hit"`
	Key       string `json:"key"`
	CacheName string `json:"cacheName"`
}

// NodeFlag says why a node exists besides its parent's template: a hook
// or exit handler started it, or it is one attempt of a retryStrategy.
type NodeFlag struct {
	Hooked  bool `json:"hooked,omitempty"`
	Retried bool `json:"retried,omitempty"`
}
