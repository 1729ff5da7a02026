package wfv1

// Workflow is one run of a graph of templates.
type Workflow struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta     `json:"metadata"`
	Spec     WorkflowSpec   `json:"spec"`
	Status   WorkflowStatus `json:"status,omitempty"`
}

// WorkflowTemplate is a reusable, namespaced WorkflowSpec.
type WorkflowTemplate struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta   `json:"metadata"`
	Spec     WorkflowSpec `json:"spec"`
}

// ClusterWorkflowTemplate is a WorkflowTemplate visible from every namespace.
type ClusterWorkflowTemplate = WorkflowTemplate

// WorkflowSpec is the body of a Workflow, WorkflowTemplate or CronWorkflow.
type WorkflowSpec struct {
	Templates                    []Template               `json:"templates,omitempty"`
	Entrypoint                   string                   `json:"entrypoint,omitempty"`
	Arguments                    Arguments                `json:"arguments,omitempty"`
	ServiceAccountName           string                   `json:"serviceAccountName,omitempty"`
	AutomountServiceAccountToken *bool                    `json:"automountServiceAccountToken,omitempty"`
	Executor                     *ExecutorConfig          `json:"executor,omitempty"`
	Volumes                      []Volume                 `json:"volumes,omitempty"`
	VolumeClaimTemplates         []Object                 `json:"volumeClaimTemplates,omitempty"`
	Parallelism                  *int64                   `json:"parallelism,omitempty"`
	ArtifactRepositoryRef        *ArtifactRepositoryRef   `json:"artifactRepositoryRef,omitempty"`
	Suspend                      *bool                    `json:"suspend,omitempty"`
	NodeSelector                 map[string]string        `json:"nodeSelector,omitempty"`
	Affinity                     Object                   `json:"affinity,omitempty"`
	Tolerations                  []Object                 `json:"tolerations,omitempty"`
	ImagePullSecrets             []LocalObjectReference   `json:"imagePullSecrets,omitempty"`
	HostNetwork                  *bool                    `json:"hostNetwork,omitempty"`
	DNSPolicy                    string                   `json:"dnsPolicy,omitempty"`
	DNSConfig                    Object                   `json:"dnsConfig,omitempty"`
	OnExit                       string                   `json:"onExit,omitempty"`
	TTLStrategy                  *TTLStrategy             `json:"ttlStrategy,omitempty"`
	ActiveDeadlineSeconds        *int64                   `json:"activeDeadlineSeconds,omitempty"`
	Priority                     *int32                   `json:"priority,omitempty"`
	SchedulerName                string                   `json:"schedulerName,omitempty"`
	PodGC                        *PodGC                   `json:"podGC,omitempty"`
	PodPriorityClassName         string                   `json:"podPriorityClassName,omitempty"`
	HostAliases                  []Object                 `json:"hostAliases,omitempty"`
	SecurityContext              Object                   `json:"securityContext,omitempty"`
	PodSpecPatch                 string                   `json:"podSpecPatch,omitempty"`
	PodDisruptionBudget          Object                   `json:"podDisruptionBudget,omitempty"`
	Metrics                      *Metrics                 `json:"metrics,omitempty"`
	Shutdown                     string                   `json:"shutdown,omitempty"`
	WorkflowTemplateRef          *WorkflowTemplateRef     `json:"workflowTemplateRef,omitempty"`
	Synchronization              *Synchronization         `json:"synchronization,omitempty"`
	VolumeClaimGC                *VolumeClaimGC           `json:"volumeClaimGC,omitempty"`
	RetryStrategy                *RetryStrategy           `json:"retryStrategy,omitempty"`
	PodMetadata                  *Metadata                `json:"podMetadata,omitempty"`
	TemplateDefaults             *Template                `json:"templateDefaults,omitempty"`
	ArchiveLogs                  *bool                    `json:"archiveLogs,omitempty"`
	Hooks                        map[string]LifecycleHook `json:"hooks,omitempty"`
	WorkflowMetadata             *WorkflowMetadata        `json:"workflowMetadata,omitempty"`
	ArtifactGC                   *WorkflowLevelArtifactGC `json:"artifactGC,omitempty"`
	PodResources                 *ResourceRequirements    `json:"podResources,omitempty"`
	ResourceClaims               []Object                 `json:"resourceClaims,omitempty"`
	ExecutorPlugins              []Object                 `json:"executorPlugins,omitempty"`
}

// GetPriority returns spec.priority, 0 when unset.
func (s *WorkflowSpec) GetPriority() int32 {
	if s.Priority == nil {
		return 0
	}
	return *s.Priority
}

// WorkflowTemplateRef points a Workflow at a (Cluster)WorkflowTemplate.
type WorkflowTemplateRef struct {
	Name         string `json:"name,omitempty"`
	ClusterScope bool   `json:"clusterScope,omitempty"`
}

// TemplateRef points a step or task at a template of a (Cluster)WorkflowTemplate.
type TemplateRef struct {
	Name         string `json:"name,omitempty"`
	Template     string `json:"template,omitempty"`
	ClusterScope bool   `json:"clusterScope,omitempty"`
}

// ExecutorConfig configures the executor of a step (Kubernetes only).
type ExecutorConfig struct {
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
}

// TTLStrategy says how long a finished workflow is kept.
type TTLStrategy struct {
	SecondsAfterCompletion *int32 `json:"secondsAfterCompletion,omitempty"`
	SecondsAfterSuccess    *int32 `json:"secondsAfterSuccess,omitempty"`
	SecondsAfterFailure    *int32 `json:"secondsAfterFailure,omitempty"`
}

// PodGC says when step pods are deleted (Kubernetes only; recorded).
type PodGC struct {
	Strategy            string `json:"strategy,omitempty"`
	LabelSelector       Object `json:"labelSelector,omitempty"`
	DeleteDelayDuration string `json:"deleteDelayDuration,omitempty"`
}

// VolumeClaimGC says when generated volume claims are deleted.
type VolumeClaimGC struct {
	Strategy string `json:"strategy,omitempty"`
}

// WorkflowMetadata are labels and annotations applied to the Workflow itself.
type WorkflowMetadata struct {
	Labels      map[string]string         `json:"labels,omitempty"`
	Annotations map[string]string         `json:"annotations,omitempty"`
	LabelsFrom  map[string]LabelValueFrom `json:"labelsFrom,omitempty"`
}

// LabelValueFrom computes a label from an expression.
type LabelValueFrom struct {
	Expression string `json:"expression"`
}

// WorkflowLevelArtifactGC configures artifact garbage collection.
type WorkflowLevelArtifactGC struct {
	Strategy              string    `json:"strategy,omitempty"`
	PodMetadata           *Metadata `json:"podMetadata,omitempty"`
	ServiceAccountName    string    `json:"serviceAccountName,omitempty"`
	ForceFinalizerRemoval bool      `json:"forceFinalizerRemoval,omitempty"`
	PodSpecPatch          string    `json:"podSpecPatch,omitempty"`
}

// ArtifactGC configures garbage collection of one artifact.
type ArtifactGC struct {
	Strategy           string    `json:"strategy,omitempty"`
	PodMetadata        *Metadata `json:"podMetadata,omitempty"`
	ServiceAccountName string    `json:"serviceAccountName,omitempty"`
}

// ArtifactRepositoryRef selects an artifact repository from a ConfigMap.
type ArtifactRepositoryRef struct {
	ConfigMap string `json:"configMap,omitempty"`
	Key       string `json:"key,omitempty"`
}

// Metrics are Prometheus metrics a workflow or template emits.
type Metrics struct {
	Prometheus []Prometheus `json:"prometheus"`
}

// Prometheus is one custom metric.
type Prometheus struct {
	Name      string        `json:"name"`
	Labels    []MetricLabel `json:"labels,omitempty"`
	Help      string        `json:"help"`
	When      string        `json:"when,omitempty"`
	Gauge     *Gauge        `json:"gauge,omitempty"`
	Histogram *Histogram    `json:"histogram,omitempty"`
	Counter   *Counter      `json:"counter,omitempty"`
}

// MetricLabel is one label of a custom metric.
type MetricLabel struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Gauge is a gauge metric.
type Gauge struct {
	Value     string `json:"value"`
	Realtime  *bool  `json:"realtime"`
	Operation string `json:"operation,omitempty"`
}

// Histogram is a histogram metric.
type Histogram struct {
	Value   string      `json:"value"`
	Buckets []AnyString `json:"buckets"`
}

// Counter is a counter metric.
type Counter struct {
	Value string `json:"value"`
}
