package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/jsoncopy"
	"github.com/semaflow/semaflow/internal/reconcile"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/store"
)

// Labels Argo puts on a workflow submitted from a template.
const (
	templateLabel        = "workflows.argoproj.io/workflow-template"
	clusterTemplateLabel = "workflows.argoproj.io/cluster-workflow-template"
)

// submitRequest is Argo's WorkflowSubmitRequest, what `argo submit
// --from kind/name` sends.
type submitRequest struct {
	Namespace     string      `json:"namespace"`
	ResourceKind  string      `json:"resourceKind"`
	ResourceName  string      `json:"resourceName"`
	SubmitOptions *submitOpts `json:"submitOptions"`
}

// submitOpts is Argo's SubmitOpts (note entryPoint's capital P).
type submitOpts struct {
	Name                 string          `json:"name"`
	GenerateName         string          `json:"generateName"`
	Entrypoint           string          `json:"entryPoint"`
	Parameters           []string        `json:"parameters"`
	ServiceAccount       string          `json:"serviceAccount"`
	DryRun               bool            `json:"dryRun"`
	ServerDryRun         bool            `json:"serverDryRun"`
	Labels               string          `json:"labels"`
	OwnerReference       json.RawMessage `json:"ownerReference"`
	Annotations          string          `json:"annotations"`
	PodPriorityClassName string          `json:"podPriorityClassName"`
	Priority             *int32          `json:"priority"`
	Artifacts            []string        `json:"artifacts"`
}

// submitFrom makes a workflow from a WorkflowTemplate, a
// ClusterWorkflowTemplate or a CronWorkflow, as Argo's SubmitWorkflow
// does, applies the submit options, checks it as any submitted workflow
// and submits it (or, for a dry run, answers it).
func (s *Server) submitFrom(w http.ResponseWriter, r *http.Request) {
	var req submitRequest
	if !readJSON(w, r, "submit request", &req, false) {
		return
	}
	if req.ResourceName == "" {
		writeError(w, codeInvalid, "submit request: resourceName is required")
		return
	}
	ns := r.PathValue("namespace")
	kind := sourceKinds[req.ResourceKind]
	if kind == "" {
		writeError(w, codeInvalid, fmt.Sprintf("Resource kind '%.60s' is not supported for submitting", req.ResourceKind))
		return
	}
	wf, err := s.workflowFrom(r, ns, kind, req.ResourceName)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	opts := req.SubmitOptions
	if opts == nil {
		opts = &submitOpts{}
	}
	kept, err := applySubmitOpts(wf, opts)
	if err != nil {
		writeError(w, codeInvalid, err.Error())
		return
	}
	if len(kept) > 0 {
		s.logger().Warn("submit options left out: the server sets these", "kept", strings.Join(kept, ", "), "path", r.URL.Path)
	}
	s.warnNoEffect(r, opts)
	var obj map[string]any
	if b, err := json.Marshal(wf); err != nil || jsoncopy.UnmarshalNumbers(b, &obj) != nil {
		writeError(w, codeInternal, fmt.Sprintf("submit from %s/%s: encoding the workflow failed", req.ResourceKind, req.ResourceName))
		return
	}
	d, ok := s.checkDoc(w, r, "workflow", wfv1.KindWorkflow, obj)
	if !ok {
		return
	}
	if opts.ServerDryRun {
		// As the Kubernetes API server's dry run: the name it would
		// generate (`argo submit --server-dry-run -o name`), or
		// AlreadyExists.
		s.answerDryRun(w, r, d.Workflow)
		return
	}
	if opts.DryRun {
		// Argo answers a client dry run itself, unnamed.
		writeJSON(w, http.StatusOK, d.Workflow)
		return
	}
	sub, err := s.eng.Submit(r.Context(), d.Workflow)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, sub)
}

// sourceKinds maps the names Argo takes for a kind to submit from (kind,
// singular, plural, short name) to the kind.
var sourceKinds = map[string]string{}

func init() {
	for kind, names := range map[string][]string{
		wfv1.KindCronWorkflow:            {"cronworkflow", "cronworkflows", "cronwf"},
		wfv1.KindWorkflowTemplate:        {"workflowtemplate", "workflowtemplates", "wftmpl"},
		wfv1.KindClusterWorkflowTemplate: {"clusterworkflowtemplate", "clusterworkflowtemplates", "cwftmpl"},
	} {
		sourceKinds[kind] = kind
		for _, n := range names {
			sourceKinds[n] = kind
		}
	}
}

// workflowFrom makes the workflow of Argo's SubmitWorkflow from the
// resource kind/name in ns. The resource must exist in ns (cluster
// templates: anywhere).
func (s *Server) workflowFrom(r *http.Request, ns, kind, name string) (*wfv1.Workflow, error) {
	meta := wfv1.ObjectMeta{Namespace: ns, GenerateName: name + "-", Labels: map[string]string{}, Annotations: map[string]string{}}
	switch kind {
	case wfv1.KindCronWorkflow:
		var cw wfv1.CronWorkflow
		if err := s.eng.Object(r.Context(), wfv1.KindCronWorkflow, ns, name, &cw); err != nil {
			return nil, notFoundAs(err, "CronWorkflow "+ns+"/"+name)
		}
		meta.Annotations[engine.ScheduledTimeNote] = time.Now().UTC().Format(time.RFC3339)
		if m := cw.Spec.WorkflowMetadata; m != nil {
			if _, err := spec.ApplyMetadata(&meta, m.Labels, m.Annotations); err != nil {
				return nil, fmt.Errorf("CronWorkflow %s/%s: spec.workflowMetadata: %w: %w", ns, name, err, engine.ErrInvalid)
			}
		}
		meta.Labels[engine.CronLabel] = name
		return &wfv1.Workflow{Metadata: meta, Spec: cw.Spec.WorkflowSpec}, nil
	case wfv1.KindWorkflowTemplate:
		var t wfv1.WorkflowTemplate
		if err := s.eng.Object(r.Context(), wfv1.KindWorkflowTemplate, ns, name, &t); err != nil {
			return nil, notFoundAs(err, "WorkflowTemplate "+ns+"/"+name)
		}
		meta.Labels[templateLabel] = name
		return &wfv1.Workflow{Metadata: meta, Spec: wfv1.WorkflowSpec{WorkflowTemplateRef: &wfv1.WorkflowTemplateRef{Name: name}}}, nil
	default:
		var t wfv1.WorkflowTemplate
		if err := s.eng.Object(r.Context(), wfv1.KindClusterWorkflowTemplate, "", name, &t); err != nil {
			return nil, notFoundAs(err, "ClusterWorkflowTemplate "+name)
		}
		meta.Labels[clusterTemplateLabel] = name
		return &wfv1.Workflow{Metadata: meta, Spec: wfv1.WorkflowSpec{WorkflowTemplateRef: &wfv1.WorkflowTemplateRef{Name: name, ClusterScope: true}}}, nil
	}
}

// notFoundAs names what was not found in a store miss.
func notFoundAs(err error, what string) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return err
}

// applySubmitOpts applies Argo's submit options to wf, as Argo's
// ApplySubmitOpts does: -p replaces the workflow's argument of the same
// name, labels and annotations (NAME=VALUE,...) are added, except over
// the ones the server set (workflows.argoproj.io/scheduled-time, the
// template or cron workflow label), which it answers in kept.
func applySubmitOpts(wf *wfv1.Workflow, o *submitOpts) (kept []string, err error) {
	if len(o.Artifacts) > 0 {
		return nil, errors.New("submitOptions.artifacts: artifact overrides are not supported: semaflow has no artifact repository")
	}
	if o.Entrypoint != "" {
		wf.Spec.Entrypoint = o.Entrypoint
	}
	if o.ServiceAccount != "" {
		wf.Spec.ServiceAccountName = o.ServiceAccount
	}
	if o.PodPriorityClassName != "" {
		wf.Spec.PodPriorityClassName = o.PodPriorityClassName
	}
	if o.Priority != nil {
		wf.Spec.Priority = o.Priority
	}
	for _, kv := range []struct {
		field, value string
		into         map[string]string
	}{{"labels", o.Labels, wf.Metadata.Labels}, {"annotations", o.Annotations, wf.Metadata.Annotations}} {
		pairs, err := parsePairs(kv.field, kv.value)
		if err != nil {
			return nil, err
		}
		for _, k := range slices.Sorted(maps.Keys(pairs)) {
			if _, set := kv.into[k]; set && strings.HasPrefix(k, argoPrefix) {
				kept = append(kept, kv.field+" "+k)
				continue
			}
			kv.into[k] = pairs[k]
		}
	}
	if errs := spec.CheckAnnotations(wf.Metadata.Annotations, "submitOptions.annotations"); len(errs) > 0 {
		return nil, errs[0]
	}
	if err := reconcile.OverrideParameters(wf, o.Parameters); err != nil {
		return nil, err
	}
	if o.GenerateName != "" {
		wf.Metadata.GenerateName = o.GenerateName
	}
	if o.Name != "" {
		wf.Metadata.Name = o.Name
	}
	return kept, nil
}

// argoPrefix starts the labels and annotations Argo reserves.
const argoPrefix = "workflows.argoproj.io/"

// parsePairs reads NAME1=VALUE1,NAME2=VALUE2; label keys and values are
// checked as Kubernetes does (annotations, once merged, by the caller).
func parsePairs(field, s string) (map[string]string, error) {
	out := map[string]string{}
	if s == "" {
		return out, nil
	}
	for _, pair := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("submitOptions.%s: expected NAME1=VALUE1,NAME2=VALUE2, not %.80q", field, s)
		}
		if field == "labels" {
			if err := spec.ValidLabelKey(k); err != nil {
				return nil, fmt.Errorf("submitOptions.labels: label key %w", err)
			}
			if err := spec.ValidLabelValue(v); err != nil {
				return nil, fmt.Errorf("submitOptions.labels: label %q: value %w", k, err)
			}
		}
		out[k] = v
	}
	return out, nil
}

// warnNoEffect logs the submit options semaflow accepts but cannot
// honour, naming each, so nothing is silently different. Those that set
// a workflow field (--serviceaccount, podPriorityClassName) are logged
// once, by the check every workflow gets (warnIgnored).
func (s *Server) warnNoEffect(r *http.Request, o *submitOpts) {
	if v := string(o.OwnerReference); v != "" && v != "null" {
		s.logger().Warn("submit option has no effect in semaflow", "option", "ownerReference",
			"why", "there is no Kubernetes garbage collector", "path", r.URL.Path)
	}
}
