package wfv1

// Template is one unit of work: a container, a script, a group of steps, a
// DAG, a suspension, or one of the Kubernetes-specific kinds.
type Template struct {
	Name                  string                `json:"name,omitempty"`
	Inputs                Inputs                `json:"inputs,omitempty"`
	Outputs               Outputs               `json:"outputs,omitempty"`
	NodeSelector          map[string]string     `json:"nodeSelector,omitempty"`
	Affinity              Object                `json:"affinity,omitempty"`
	Metadata              Metadata              `json:"metadata,omitempty"`
	Daemon                *bool                 `json:"daemon,omitempty"`
	Steps                 []ParallelSteps       `json:"steps,omitempty"`
	Container             *Container            `json:"container,omitempty"`
	ContainerSet          *ContainerSetTemplate `json:"containerSet,omitempty"`
	Script                *ScriptTemplate       `json:"script,omitempty"`
	Resource              *ResourceTemplate     `json:"resource,omitempty"`
	DAG                   *DAGTemplate          `json:"dag,omitempty"`
	Suspend               *SuspendTemplate      `json:"suspend,omitempty"`
	Data                  Object                `json:"data,omitempty"`
	HTTP                  *HTTP                 `json:"http,omitempty"`
	Plugin                Object                `json:"plugin,omitempty"`
	Volumes               []Volume              `json:"volumes,omitempty"`
	InitContainers        []Container           `json:"initContainers,omitempty"`
	Sidecars              []Container           `json:"sidecars,omitempty"`
	ArchiveLocation       *ArtifactLocation     `json:"archiveLocation,omitempty"`
	ActiveDeadlineSeconds *IntOrString          `json:"activeDeadlineSeconds,omitempty"`
	RetryStrategy         *RetryStrategy        `json:"retryStrategy,omitempty"`
	Parallelism           *int64                `json:"parallelism,omitempty"`
	FailFast              *bool                 `json:"failFast,omitempty"`
	Tolerations           []Object              `json:"tolerations,omitempty"`
	SchedulerName         string                `json:"schedulerName,omitempty"`
	PriorityClassName     string                `json:"priorityClassName,omitempty"`
	ServiceAccountName    string                `json:"serviceAccountName,omitempty"`
	AutomountSAToken      *bool                 `json:"automountServiceAccountToken,omitempty"`
	Executor              *ExecutorConfig       `json:"executor,omitempty"`
	HostAliases           []Object              `json:"hostAliases,omitempty"`
	SecurityContext       Object                `json:"securityContext,omitempty"`
	PodSpecPatch          string                `json:"podSpecPatch,omitempty"`
	Metrics               *Metrics              `json:"metrics,omitempty"`
	Synchronization       *Synchronization      `json:"synchronization,omitempty"`
	Memoize               *Memoize              `json:"memoize,omitempty"`
	Timeout               string                `json:"timeout,omitempty"`
	PendingTimeout        string                `json:"pendingTimeout,omitempty"`
	Annotations           map[string]string     `json:"annotations,omitempty"`
	PodResources          *ResourceRequirements `json:"podResources,omitempty"`
	ResourceClaims        []Object              `json:"resourceClaims,omitempty"`
}

// Template types, in the order Argo lists them.
const (
	TypeContainer    = "container"
	TypeContainerSet = "containerSet"
	TypeSteps        = "steps"
	TypeScript       = "script"
	TypeResource     = "resource"
	TypeDAG          = "dag"
	TypeSuspend      = "suspend"
	TypeData         = "data"
	TypeHTTP         = "http"
	TypePlugin       = "plugin"
)

// TemplateTypes lists every template type.
var TemplateTypes = []string{TypeContainer, TypeContainerSet, TypeSteps, TypeScript,
	TypeResource, TypeDAG, TypeSuspend, TypeData, TypeHTTP, TypePlugin}

// Types returns the template types set on t; a valid template has exactly one.
func (t *Template) Types() []string {
	var out []string
	add := func(set bool, name string) {
		if set {
			out = append(out, name)
		}
	}
	add(t.Container != nil, TypeContainer)
	add(t.ContainerSet != nil, TypeContainerSet)
	add(t.Steps != nil, TypeSteps)
	add(t.Script != nil, TypeScript)
	add(t.Resource != nil, TypeResource)
	add(t.DAG != nil, TypeDAG)
	add(t.Suspend != nil, TypeSuspend)
	add(t.Data != nil, TypeData)
	add(t.HTTP != nil, TypeHTTP)
	add(t.Plugin != nil, TypePlugin)
	return out
}

// ParallelSteps is one group of steps that run at the same time; a steps
// template runs its groups one after another.
type ParallelSteps []WorkflowStep

// WorkflowStep is a call of a template from a steps template.
type WorkflowStep struct {
	Name         string                   `json:"name,omitempty"`
	Template     string                   `json:"template,omitempty"`
	Inline       *Template                `json:"inline,omitempty"`
	Arguments    Arguments                `json:"arguments,omitempty"`
	TemplateRef  *TemplateRef             `json:"templateRef,omitempty"`
	WithItems    []Item                   `json:"withItems,omitempty"`
	WithParam    string                   `json:"withParam,omitempty"`
	WithSequence *Sequence                `json:"withSequence,omitempty"`
	When         string                   `json:"when,omitempty"`
	ContinueOn   *ContinueOn              `json:"continueOn,omitempty"`
	OnExit       string                   `json:"onExit,omitempty"`
	Hooks        map[string]LifecycleHook `json:"hooks,omitempty"`
}

// DAGTemplate is a graph of tasks.
type DAGTemplate struct {
	Target   string    `json:"target,omitempty"`
	Tasks    []DAGTask `json:"tasks"`
	FailFast *bool     `json:"failFast,omitempty"`
}

// DAGTask is a call of a template from a DAG.
type DAGTask struct {
	Name         string                   `json:"name"`
	Template     string                   `json:"template,omitempty"`
	Inline       *Template                `json:"inline,omitempty"`
	Arguments    Arguments                `json:"arguments,omitempty"`
	TemplateRef  *TemplateRef             `json:"templateRef,omitempty"`
	Dependencies []string                 `json:"dependencies,omitempty"`
	WithItems    []Item                   `json:"withItems,omitempty"`
	WithParam    string                   `json:"withParam,omitempty"`
	WithSequence *Sequence                `json:"withSequence,omitempty"`
	When         string                   `json:"when,omitempty"`
	ContinueOn   *ContinueOn              `json:"continueOn,omitempty"`
	OnExit       string                   `json:"onExit,omitempty"`
	Depends      string                   `json:"depends,omitempty"`
	Hooks        map[string]LifecycleHook `json:"hooks,omitempty"`
}

// Sequence generates loop items from numbers.
type Sequence struct {
	Count  *IntOrString `json:"count,omitempty"`
	Start  *IntOrString `json:"start,omitempty"`
	End    *IntOrString `json:"end,omitempty"`
	Format string       `json:"format,omitempty"`
}

// ContinueOn lets a parent continue after a child fails or errors.
type ContinueOn struct {
	Error  bool `json:"error,omitempty"`
	Failed bool `json:"failed,omitempty"`
}

// LifecycleHook runs a template when an expression becomes true (or, for the
// key "exit", when the step ends).
type LifecycleHook struct {
	Template    string       `json:"template,omitempty"`
	Arguments   Arguments    `json:"arguments,omitempty"`
	TemplateRef *TemplateRef `json:"templateRef,omitempty"`
	Expression  string       `json:"expression,omitempty"`
}

// SuspendTemplate pauses until resumed or for a duration.
type SuspendTemplate struct {
	Duration string `json:"duration,omitempty"`
}

// Memoize caches a template's outputs by key.
type Memoize struct {
	Key    string `json:"key"`
	Cache  *Cache `json:"cache"`
	MaxAge string `json:"maxAge"`
}

// Cache is where memoized outputs are kept.
type Cache struct {
	ConfigMap *LocalObjectReference `json:"configMap"`
}

// ResourceTemplate creates or changes a Kubernetes object (not supported locally).
type ResourceTemplate struct {
	Action            string   `json:"action"`
	MergeStrategy     string   `json:"mergeStrategy,omitempty"`
	Manifest          string   `json:"manifest,omitempty"`
	ManifestFrom      Object   `json:"manifestFrom,omitempty"`
	SetOwnerReference bool     `json:"setOwnerReference,omitempty"`
	SuccessCondition  string   `json:"successCondition,omitempty"`
	FailureCondition  string   `json:"failureCondition,omitempty"`
	Flags             []string `json:"flags,omitempty"`
}

// HTTP is a template that makes one HTTP request.
type HTTP struct {
	Method             string       `json:"method,omitempty"`
	URL                string       `json:"url"`
	Headers            []HTTPHeader `json:"headers,omitempty"`
	TimeoutSeconds     *int64       `json:"timeoutSeconds,omitempty"`
	SuccessCondition   string       `json:"successCondition,omitempty"`
	Body               string       `json:"body,omitempty"`
	BodyFrom           Object       `json:"bodyFrom,omitempty"`
	InsecureSkipVerify bool         `json:"insecureSkipVerify,omitempty"`
}

// HTTPHeader is one request header.
type HTTPHeader struct {
	Name      string `json:"name"`
	Value     string `json:"value,omitempty"`
	ValueFrom Object `json:"valueFrom,omitempty"`
}

// RetryStrategy says when and how often a failed step is tried again.
type RetryStrategy struct {
	Limit       *IntOrString `json:"limit,omitempty"`
	RetryPolicy string       `json:"retryPolicy,omitempty"`
	Backoff     *Backoff     `json:"backoff,omitempty"`
	Affinity    Object       `json:"affinity,omitempty"`
	Expression  string       `json:"expression,omitempty"`
}

// Retry policies.
const (
	RetryPolicyAlways           = "Always"
	RetryPolicyOnFailure        = "OnFailure"
	RetryPolicyOnError          = "OnError"
	RetryPolicyOnTransientError = "OnTransientError"
)

// Backoff spaces retries out.
type Backoff struct {
	Duration    string       `json:"duration,omitempty"`
	Factor      *IntOrString `json:"factor,omitempty"`
	MaxDuration string       `json:"maxDuration,omitempty"`
	Cap         string       `json:"cap,omitempty"`
}
