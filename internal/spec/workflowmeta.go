package spec

import (
	"sort"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
)

// checkWorkflowMeta checks ttlStrategy and workflowMetadata for what
// would fail at run time whatever the variables: a negative TTL, a label
// Kubernetes would refuse (values with {{...}} are known only once
// substituted, and checked then), a labelsFrom with no expression.
func checkWorkflowMeta(d *Document, path string, spec *wfv1.WorkflowSpec) {
	if s := spec.TTLStrategy; s != nil {
		for _, f := range []struct {
			name string
			v    *int32
		}{{"secondsAfterCompletion", s.SecondsAfterCompletion}, {"secondsAfterSuccess", s.SecondsAfterSuccess}, {"secondsAfterFailure", s.SecondsAfterFailure}} {
			if f.v != nil && *f.v < 0 {
				d.errorAt(path+".ttlStrategy."+f.name, "%s must not be negative, got %d", f.name, *f.v)
			}
		}
	}
	m := spec.WorkflowMetadata
	if m == nil {
		return
	}
	mp := path + ".workflowMetadata"
	checkPendingTimeout(d, mp+".annotations", m.Annotations)
	for _, k := range sortedKeys(m.Labels) {
		if err := ValidLabelKey(k); err != nil {
			d.errorAt(mp+".labels", "label key %v", err)
			continue
		}
		if v := m.Labels[k]; !strings.Contains(v, "{{") {
			if err := ValidLabelValue(v); err != nil {
				d.errorAt(mp+".labels."+k, "label value %v", err)
			}
		}
	}
	for _, e := range CheckAnnotations(m.Annotations, mp+".annotations") {
		d.errorAt(e.Path, "%v", e.Err)
	}
	for _, k := range sortedKeys(m.LabelsFrom) {
		if err := ValidLabelKey(k); err != nil {
			d.errorAt(mp+".labelsFrom", "label key %v", err)
			continue
		}
		if strings.TrimSpace(m.LabelsFrom[k].Expression) == "" {
			d.errorAt(mp+".labelsFrom."+k+".expression", "labelsFrom %q has an empty expression", k)
		}
	}
}

// AnnotationPendingTimeout bounds a workflow's wait for its
// workflow-level locks (and the engine's parallelism), as a template's
// pendingTimeout bounds its node's: a duration ("90s", "5m", or seconds).
// An annotation rather than a spec field, so the manifest stays one Argo
// accepts.
const AnnotationPendingTimeout = "semaflow.dev/pending-timeout"

// checkPendingTimeout checks the annotation where a workflow may carry it:
// its metadata, or the workflowMetadata it is given.
func checkPendingTimeout(d *Document, path string, annotations map[string]string) {
	if v, ok := annotations[AnnotationPendingTimeout]; ok {
		checkPendingTimeoutValue(d, path+"."+AnnotationPendingTimeout, v)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
