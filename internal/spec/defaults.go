package spec

import "github.com/semaflow/semaflow/api/wfv1"

// DefaultNamespace is the namespace of objects that name none, as in Argo's
// examples run with `argo submit` against the default namespace.
const DefaultNamespace = "default"

// applyDefaults fills in what Argo fills in before it runs a manifest.
func applyDefaults(doc *Document, opts Options) {
	ns := opts.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	setNS := func(m *wfv1.ObjectMeta) {
		if m.Namespace == "" {
			m.Namespace = ns
		}
	}
	switch {
	case doc.Workflow != nil:
		setNS(&doc.Workflow.Metadata)
	case doc.Template != nil:
		setNS(&doc.Template.Metadata)
	case doc.Cron != nil:
		// schedule and schedules stay as written (AllSchedules reads
		// both): merging them here grew the list at every save.
		setNS(&doc.Cron.Metadata)
	case doc.ConfigMap != nil:
		setNS(&doc.ConfigMap.Metadata)
	}
	if s := doc.Spec(); s != nil {
		for i := range s.Templates {
			defaultTemplate(&s.Templates[i])
		}
		if s.RetryStrategy != nil && s.RetryStrategy.RetryPolicy == "" {
			s.RetryStrategy.RetryPolicy = wfv1.RetryPolicyOnFailure
		}
	}
}

func defaultTemplate(t *wfv1.Template) {
	if t.RetryStrategy != nil && t.RetryStrategy.RetryPolicy == "" {
		t.RetryStrategy.RetryPolicy = wfv1.RetryPolicyOnFailure
	}
}
