package reconcile

import (
	"fmt"
	"maps"
	"sort"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
	"github.com/semaflow/semaflow/internal/spec"
)

// applyWorkflowMetadata puts spec.workflowMetadata on the workflow's own
// metadata before it starts, as Argo's operator does when it first sees a
// workflow (updateWorkflowMetadata): labels and annotations with workflow
// variables substituted, then each labelsFrom expression evaluated with
// the workflow variables, where the labels that labelsFrom sets are not
// yet seen. A label Kubernetes would refuse is an error naming it. It
// runs on every call until the workflow starts (it may wait for its
// locks), giving the same labels each time; plan.Relabelled says when
// they changed.
func (o *op) applyWorkflowMetadata() error {
	md := o.spec.WorkflowMetadata
	if md == nil {
		return nil
	}
	scope, err := o.metadataScope(md)
	if err != nil {
		return err
	}
	labels := make(map[string]string, len(md.Labels)+len(md.LabelsFrom))
	for k, v := range md.Labels {
		if labels[k], err = expr.Replace(v, scope, false); err != nil {
			return fmt.Errorf("workflowMetadata.labels: label %q: %w", k, err)
		}
	}
	annotations := make(map[string]string, len(md.Annotations))
	for k, v := range md.Annotations {
		if annotations[k], err = expr.Replace(v, scope, false); err != nil {
			return fmt.Errorf("workflowMetadata.annotations: annotation %q: %w", k, err)
		}
	}
	for k, v := range labels {
		if _, from := md.LabelsFrom[k]; !from {
			scope["workflow.labels."+k] = v
		}
	}
	for k, v := range annotations {
		scope["workflow.annotations."+k] = v
	}
	names := make([]string, 0, len(md.LabelsFrom))
	for k := range md.LabelsFrom {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		code := md.LabelsFrom[k].Expression
		v, err := expr.EvalString(code, scope)
		if err != nil {
			return fmt.Errorf("workflowMetadata.labelsFrom: label %q: %w", k, err)
		}
		if err := spec.ValidLabelValue(v); err != nil {
			return fmt.Errorf("workflowMetadata.labelsFrom: label %q from expression %q: value %w", k, code, err)
		}
		labels[k] = v
	}
	changed, err := spec.ApplyMetadata(&o.wf.Metadata, labels, annotations)
	if err != nil {
		return fmt.Errorf("workflowMetadata.labels: %w", err)
	}
	o.plan.Relabelled = o.plan.Relabelled || changed
	return nil
}

// metadataScope is the workflow variables workflowMetadata sees: the
// global ones, with arguments from ConfigMaps read, and without the
// labels labelsFrom is about to set.
func (o *op) metadataScope(md *wfv1.WorkflowMetadata) (expr.Scope, error) {
	scope := o.globalScope()
	for _, p := range o.spec.Arguments.Parameters {
		if p.Value == nil && p.ValueFrom != nil && p.ValueFrom.ConfigMapKeyRef != nil {
			v, err := o.configMapValue(p.ValueFrom.ConfigMapKeyRef.Name, p.ValueFrom.ConfigMapKeyRef.Key)
			if err != nil {
				return nil, fmt.Errorf("spec.arguments.parameters[%s]: %w", p.Name, err)
			}
			scope["workflow.parameters."+p.Name] = v
		}
	}
	for k := range md.LabelsFrom {
		delete(scope, "workflow.labels."+k)
	}
	return scope, nil
}

// mergeWorkflowMetadata is a Workflow's workflowMetadata over its
// WorkflowTemplate's, as Argo merges them: labels and annotations by key
// and labelsFrom by label, the Workflow's winning.
func mergeWorkflowMetadata(wf, tpl *wfv1.WorkflowMetadata) *wfv1.WorkflowMetadata {
	if wf == nil || tpl == nil {
		if wf != nil {
			return wf
		}
		return tpl
	}
	m := &wfv1.WorkflowMetadata{Labels: mergeMaps(wf.Labels, tpl.Labels), Annotations: mergeMaps(wf.Annotations, tpl.Annotations)}
	if len(wf.LabelsFrom)+len(tpl.LabelsFrom) > 0 {
		m.LabelsFrom = maps.Clone(tpl.LabelsFrom)
		if m.LabelsFrom == nil {
			m.LabelsFrom = map[string]wfv1.LabelValueFrom{}
		}
		maps.Copy(m.LabelsFrom, wf.LabelsFrom)
	}
	return m
}

func mergeMaps(over, under map[string]string) map[string]string {
	if len(over)+len(under) == 0 {
		return nil
	}
	m := maps.Clone(under)
	if m == nil {
		m = map[string]string{}
	}
	maps.Copy(m, over)
	return m
}
