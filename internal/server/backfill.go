package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/semaflow/semaflow/api/wfv1"
)

// labelBackfill marks the workflow `argo cron backfill` posts, and the
// workflows semaflow creates for it.
const labelBackfill = "workflows.argoproj.io/backfill"

// maxBackfill bounds the workflows one backfill request creates (the
// CLI sends at most --maxworkflowcount, 1000 by default, per request).
const maxBackfill = 10000

// backfillParam is what the CLI's manifest takes each schedule time from.
const backfillParam = "{{inputs.parameters.backfillscheduletime}}"

// backfillRequest is the part of the CLI's backfill workflow semaflow
// reads: a steps template fanning out over the schedule times
// (withParam) to a resource template that creates the cron workflow's
// workflow with each time.
type backfillRequest struct {
	Workflow struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
		Spec struct {
			Templates []struct {
				Name  string `json:"name"`
				Steps [][]struct {
					WithParam string `json:"withParam"`
				} `json:"steps"`
				Resource *struct {
					Action   string `json:"action"`
					Manifest string `json:"manifest"`
				} `json:"resource"`
			} `json:"templates"`
		} `json:"spec"`
	} `json:"workflow"`
}

// createWorkflowOrBackfill creates a workflow, except for the one
// `argo cron backfill` posts: that one would need a Kubernetes resource
// template, so semaflow creates what it would have created, one workflow
// per schedule time, itself. A dry run (argo submit --dry-run,
// --server-dry-run) is checked and answered, not created.
func (s *Server) createWorkflowOrBackfill(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req backfillRequest
	if json.Unmarshal(body, &req) == nil && req.Workflow.Metadata.Labels[labelBackfill] != "" {
		s.backfill(w, r, &req)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if dryRun(body) {
		s.dryRunWorkflow(w, r)
		return
	}
	s.createWorkflow(w, r)
}

// backfill submits the cron workflow's workflow once per schedule time
// of the request, each labelled as Argo labels them, and answers the
// first (the CLI prints its name).
func (s *Server) backfill(w http.ResponseWriter, r *http.Request, req *backfillRequest) {
	cron := req.Workflow.Metadata.Labels[labelBackfill]
	var times []string
	manifest := ""
	for _, t := range req.Workflow.Spec.Templates {
		if len(t.Steps) > 0 && len(t.Steps[0]) > 0 && t.Steps[0][0].WithParam != "" {
			if err := json.Unmarshal([]byte(t.Steps[0][0].WithParam), &times); err != nil {
				writeError(w, codeInvalid, fmt.Sprintf("backfill of %s: template %s: withParam is not a JSON list of times: %v", cron, t.Name, err))
				return
			}
		}
		if t.Resource != nil && t.Resource.Action == "create" {
			manifest = t.Resource.Manifest
		}
	}
	if manifest == "" || len(times) == 0 {
		writeError(w, codeInvalid, "backfill of "+cron+": the workflow has no schedule times (a steps withParam) "+
			"or no workflow to create (a resource template with action create)")
		return
	}
	if len(times) > maxBackfill {
		writeError(w, codeInvalid, fmt.Sprintf("backfill of %s: %d schedule times, over %d: use a shorter --start/--end", cron, len(times), maxBackfill))
		return
	}
	// Check them all before creating any, so a bad one creates nothing.
	var wfs []*wfv1.Workflow
	for _, at := range times {
		js, err := yaml.YAMLToJSON([]byte(strings.ReplaceAll(manifest, backfillParam, at)))
		if err != nil {
			writeError(w, codeInvalid, fmt.Sprintf("backfill of %s: the workflow manifest: %v", cron, err))
			return
		}
		js, err = lastParamWins(js)
		if err != nil {
			writeError(w, codeInvalid, fmt.Sprintf("backfill of %s: the workflow manifest: %v", cron, err))
			return
		}
		body, _ := json.Marshal(map[string]json.RawMessage{"workflow": js})
		one := r.Clone(r.Context())
		one.Body = io.NopCloser(bytes.NewReader(body))
		d, ok := s.parseDoc(w, one, "workflow", wfv1.KindWorkflow)
		if !ok {
			return
		}
		wf := d.Workflow
		if wf.Metadata.Labels == nil {
			wf.Metadata.Labels = map[string]string{}
		}
		wf.Metadata.Labels[labelBackfill] = cron
		wfs = append(wfs, wf)
	}
	var first *wfv1.Workflow
	for _, wf := range wfs {
		sub, err := s.eng.Submit(r.Context(), wf)
		if err != nil {
			writeStoreError(w, err)
			return
		}
		if first == nil {
			first = sub
		}
	}
	s.logger().Info(fmt.Sprintf("backfill of cron workflow %s: %d workflows created, labelled %s=%s",
		cron, len(wfs), labelBackfill, cron))
	writeJSON(w, http.StatusOK, first)
}

// lastParamWins drops from spec.arguments.parameters every parameter a
// later one of the same name overrides: the CLI appends the schedule
// time parameter (--argname, cronScheduleTime) to the cron workflow's
// arguments, which may declare it already, with a default.
func lastParamWins(js []byte) ([]byte, error) {
	var wf map[string]any
	if err := json.Unmarshal(js, &wf); err != nil {
		return nil, err
	}
	spec, _ := wf["spec"].(map[string]any)
	args, _ := spec["arguments"].(map[string]any)
	params, _ := args["parameters"].([]any)
	if len(params) < 2 {
		return js, nil
	}
	last := map[string]int{}
	for i, p := range params {
		if m, ok := p.(map[string]any); ok {
			if name, ok := m["name"].(string); ok {
				last[name] = i
			}
		}
	}
	kept := params[:0:0]
	for i, p := range params {
		m, _ := p.(map[string]any)
		name, ok := m["name"].(string)
		if ok && last[name] != i {
			continue
		}
		kept = append(kept, p)
	}
	args["parameters"] = kept
	return json.Marshal(wf)
}
