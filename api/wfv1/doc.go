// Package wfv1 holds semaflow's manifest types. They mirror Argo Workflows'
// argoproj.io/v1alpha1 API (and the few Kubernetes core/v1 types those
// manifests embed) field for field, with the same JSON names, so a manifest
// written for Argo decodes here unchanged.
//
// Kubernetes-only settings that have no meaning on a local machine (affinity,
// tolerations, probes, security contexts, ...) are kept as Object values: they
// round-trip and are checked to be objects, but their contents are not
// interpreted.
//
// This package imports only the standard library so that clients can depend
// on it without pulling in the engine.
package wfv1

// Group and version of every Argo kind.
const (
	APIVersion   = "argoproj.io/v1alpha1"
	ConfigMapAPI = "v1"
)

// Kinds semaflow reads.
const (
	KindWorkflow                = "Workflow"
	KindWorkflowTemplate        = "WorkflowTemplate"
	KindClusterWorkflowTemplate = "ClusterWorkflowTemplate"
	KindCronWorkflow            = "CronWorkflow"
	KindConfigMap               = "ConfigMap"
)
