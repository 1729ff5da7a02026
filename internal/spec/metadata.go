package spec

import (
	"fmt"
	"sort"

	"github.com/semaflow/semaflow/api/wfv1"
)

// ApplyMetadata puts labels and annotations on m, each replacing a value
// m had, and says whether m changed. Every label is checked first, as
// Kubernetes checks it: a bad key or value changes nothing and is an
// error naming the label. It is the one path by which a workflow gets
// labels from a manifest after it was submitted: a CronWorkflow's
// workflowMetadata when it makes a workflow, a spec.workflowMetadata when
// the workflow is first reconciled.
func ApplyMetadata(m *wfv1.ObjectMeta, labels, annotations map[string]string) (bool, error) {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := ValidLabelKey(k); err != nil {
			return false, fmt.Errorf("label key %w", err)
		}
		if err := ValidLabelValue(labels[k]); err != nil {
			return false, fmt.Errorf("label %q: value %w", k, err)
		}
	}
	changed := false
	for k, v := range labels {
		if old, ok := m.Labels[k]; !ok || old != v {
			if m.Labels == nil {
				m.Labels = map[string]string{}
			}
			m.Labels[k], changed = v, true
		}
	}
	for k, v := range annotations {
		if old, ok := m.Annotations[k]; !ok || old != v {
			if m.Annotations == nil {
				m.Annotations = map[string]string{}
			}
			m.Annotations[k], changed = v, true
		}
	}
	return changed, nil
}
