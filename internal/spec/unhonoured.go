package spec

import "github.com/semaflow/semaflow/api/wfv1"

// warnUnhonoured says which workflow-level fields semaflow accepts but
// does not act on, so none is silently ignored. Argo deletes a workflow
// ttlStrategy seconds after it ends and puts workflowMetadata's labels,
// annotations and labelsFrom expressions on the workflow when it starts;
// semaflow keeps finished workflows until `semaflow delete` and sets no
// label or annotation from the spec.
func warnUnhonoured(d *Document, path string, spec *wfv1.WorkflowSpec) {
	if spec.TTLStrategy != nil {
		d.warnAt(path+".ttlStrategy", "ttlStrategy is not honoured: semaflow keeps a finished workflow until it is deleted (semaflow delete)")
	}
	m := spec.WorkflowMetadata
	if m == nil {
		return
	}
	if len(m.Labels) > 0 {
		d.warnAt(path+".workflowMetadata.labels", "workflowMetadata.labels is not honoured: put the labels in metadata.labels")
	}
	if len(m.Annotations) > 0 {
		d.warnAt(path+".workflowMetadata.annotations", "workflowMetadata.annotations is not honoured: put the annotations in metadata.annotations")
	}
	if len(m.LabelsFrom) > 0 {
		d.warnAt(path+".workflowMetadata.labelsFrom", "workflowMetadata.labelsFrom is not honoured: the workflow gets no label from these expressions")
	}
}
