package reconcile

import (
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/spec"
)

// Resolver finds objects a workflow refers to outside itself.
// *spec.Set implements it.
type Resolver interface {
	WorkflowTemplate(namespace, name string, cluster bool) *wfv1.WorkflowTemplate
	ConfigMap(namespace, name string) *wfv1.ConfigMap
}

// Throttler is implemented by a Resolver that adds engine-wide locks
// (max running workflows) to every workflow of a namespace. They are taken
// with the workflow's own workflow-level locks, all or nothing, so the
// throttle's queue has the same order as every lock's.
type Throttler interface {
	Throttles(namespace string) []spec.LockRef
}

// EventKind says what happened to a workflow between two calls.
type EventKind int

// The kinds of events.
const (
	// StepStarted: the step's process was spawned.
	StepStarted EventKind = iota + 1
	// StepExited: the step's process ended (or could not start).
	StepExited
	// Stop: run exit handlers, start nothing new (Argo's `stop`).
	Stop
	// Terminate: kill everything, skip exit handlers (Argo's `terminate`).
	Terminate
	// Resume: suspended nodes (and a suspended workflow) go on.
	Resume
	// Suspend: start nothing new until resumed.
	Suspend
	// LockGranted: Holder now holds its locks, with Tokens.
	LockGranted
	// LockFailed: Holder's request can never be granted; Message says why.
	LockFailed
	// SetNode: `argo node set` on waiting suspend nodes (Set).
	SetNode
	// StepNotStarted: the engine gave up starting a Pending step (a stop
	// or terminate came first) and never will: nothing of it runs, so it
	// ends Failed with Message at once. Every other Pending step is in
	// flight and ends only by its StepExited.
	StepNotStarted
	// StepWaiting: a Pending step's executor cannot start it yet (its
	// disk has no room for its files) and waits; Message says why, and an
	// empty one that it no longer waits.
	StepWaiting
)

// Event is one thing that happened.
type Event struct {
	Kind   EventKind
	NodeID string
	At     time.Time
	Result *domain.StepResult // StepExited only
	// Holder, Tokens and Message are for lock events.
	Holder  string
	Tokens  []domain.Token
	Message string     // also StepNotStarted's and StepWaiting's reason
	Set     *SetValues // SetNode only
}

// LockRequest asks for a holder's locks, all or nothing.
type LockRequest struct {
	Holder   string
	NodeID   string // "" for the workflow-level holder
	Locks    []spec.LockRef
	Priority int32
	Created  time.Time
	// NodeName names the node, and Under are the holder keys of the nodes
	// it runs under (parent first), for the engine's deadlock detector:
	// a holder cannot release while a node under it waits.
	NodeName string
	Under    []string
}

// Launch asks the engine to run one step.
type Launch struct {
	NodeID   string
	NodeName string
	// Template is a resolved copy: placeholders substituted, defaults merged.
	Template wfv1.Template
	// Deadline is when the step must be killed; zero means none.
	Deadline time.Time
	// InputFiles are files to create before the step starts (raw input
	// artifacts), keyed by path.
	InputFiles map[string]string
	// LogsKey, when set, is the key the step's log is archived under
	// (archiveLogs).
	LogsKey string
	// Tokens are the fencing tokens of every lock the step runs under.
	Tokens map[string]uint64
	// Data, set for a data template, is the work the engine does in
	// place of a process.
	Data *DataJob
}

// Plan is what the engine must do after a call.
type Plan struct {
	Start []Launch
	// Kill lists node IDs whose processes must be killed, with the reason.
	Kill map[string]string
	// WakeAt is when to call Reconcile again without an event; zero: never.
	WakeAt time.Time
	// Changed lists the IDs of nodes whose status changed in this call.
	Changed []string
	// Done is set once the workflow has reached a final phase.
	Done bool
	// Partial is set when the call only recorded events that cannot
	// change what happens next (steps that started); the previous WakeAt
	// still stands.
	Partial bool
	// Acquire lists new lock requests; Release lists holders whose locks
	// (or waits) end. Releasing what is not held is harmless.
	Acquire []LockRequest
	Release []string
	// Relabelled says the workflow's labels or annotations changed (from
	// spec.workflowMetadata): its metadata must be written, not only its
	// status.
	Relabelled bool
	// Memo lists writes to memoization caches, to make once this call's
	// changes are stored. Losing them (a crash between) loses cache
	// entries, never results.
	Memo []MemoWrite
}

func (p *Plan) wake(t time.Time) {
	if t.IsZero() {
		return
	}
	if p.WakeAt.IsZero() || t.Before(p.WakeAt) {
		p.WakeAt = t
	}
}

// Node types, as Argo names them.
const (
	NodePod       = "Pod"
	NodeHTTP      = "HTTP"
	NodeSteps     = "Steps"
	NodeStepGroup = "StepGroup"
	NodeDAG       = "DAG"
	NodeTaskGroup = "TaskGroup"
	NodeRetry     = "Retry"
	NodeSkipped   = "Skipped"
	NodeSuspend   = "Suspend"
)

// MaxDepth bounds how deeply templates may call templates, so a template
// that recurses forever ends in a clear error instead of exhausting memory.
const MaxDepth = 100

// isStep says whether a node of this type is one the executor runs: a pod,
// or an http template's request (Argo's HTTP node, run by its agent).
func isStep(typ string) bool { return typ == NodePod || typ == NodeHTTP }
