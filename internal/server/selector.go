package server

import (
	"fmt"
	"slices"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/spec"
)

// Argo's labels that the controller sets on every workflow; semaflow
// derives them, so selectors written for Argo keep working.
const (
	labelPhase     = "workflows.argoproj.io/phase"
	labelCompleted = "workflows.argoproj.io/completed"
)

// workflowMatcher builds the filter for a label and a field selector; nil
// means everything matches.
func workflowMatcher(labelSel, fieldSel string) (func(*wfv1.Workflow) bool, error) {
	labels, err := spec.ParseSelector(labelSel, nil)
	if err != nil {
		return nil, err
	}
	fields, err := spec.ParseSelector(fieldSel, knownField("metadata.name", "metadata.namespace", "metadata.uid", "status.phase"))
	if err != nil {
		return nil, err
	}
	if len(labels)+len(fields) == 0 {
		return nil, nil
	}
	return func(wf *wfv1.Workflow) bool {
		label := func(k string) (string, bool) {
			switch k {
			case labelPhase:
				return wf.Status.Phase, wf.Status.Phase != ""
			case labelCompleted:
				p := wf.Status.Phase
				return fmt.Sprint(p == wfv1.PhaseSucceeded || p == wfv1.PhaseFailed || p == wfv1.PhaseError), true
			}
			v, ok := wf.Metadata.Labels[k]
			return v, ok
		}
		field := func(k string) (string, bool) {
			return map[string]string{"metadata.name": wf.Metadata.Name, "metadata.namespace": wf.Metadata.Namespace,
				"metadata.uid": wf.Metadata.UID, "status.phase": wf.Status.Phase}[k], true
		}
		return labels.Matches(label) && fields.Matches(field)
	}, nil
}

// knownField refuses field selector keys other than names.
func knownField(names ...string) func(string) error {
	return func(key string) error {
		if !slices.Contains(names, key) {
			return fmt.Errorf("field %q is not supported (use one of %s)", key, strings.Join(names, ", "))
		}
		return nil
	}
}
