package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/jsoncopy"
)

// labelBackfill marks the workflow `argo cron backfill` posts, and the
// workflows semaflow creates for it.
const labelBackfill = "workflows.argoproj.io/backfill"

// maxBackfill bounds the workflows one backfill request creates (the
// CLI sends at most --maxworkflowcount, 1000 by default, per request).
const maxBackfill = 10000

// maxBackfillWork bounds what one backfill request makes: its manifest's
// bytes times its schedule times. Every workflow is held, copied and
// stored, so this bounds the memory and time the request takes.
const maxBackfillWork = 32 << 20

// maxBackfillTime bounds one schedule time (the CLI's are ~30 bytes).
const maxBackfillTime = 256

// backfillParam is what the CLI's manifest takes each schedule time from.
const backfillParam = "{{inputs.parameters.backfillscheduletime}}"

// backfillRequest is the part of the CLI's backfill workflow semaflow
// reads: its entrypoint, a steps template of one step fanning out over
// the schedule times (withParam) to a resource template that creates the
// cron workflow's workflow with each time.
type backfillRequest struct {
	Workflow struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
		Spec struct {
			Entrypoint string             `json:"entrypoint"`
			Templates  []backfillTemplate `json:"templates"`
		} `json:"spec"`
	} `json:"workflow"`
}

type backfillTemplate struct {
	Name  string `json:"name"`
	Steps [][]struct {
		Template  string `json:"template"`
		WithParam string `json:"withParam"`
	} `json:"steps"`
	Resource *struct {
		Action   string `json:"action"`
		Manifest string `json:"manifest"`
	} `json:"resource"`
}

// cliBackfill answers the schedule times (withParam) and the manifest
// when req is shaped as the argo CLI's backfill: labelled, its entrypoint
// one step over a withParam calling a resource template that creates.
// Anything else, label or not, is an ordinary workflow.
func (req *backfillRequest) cliBackfill() (cron, withParam, manifest string, ok bool) {
	wf := &req.Workflow
	cron = wf.Metadata.Labels[labelBackfill]
	byName := map[string]*backfillTemplate{}
	for i := range wf.Spec.Templates {
		byName[wf.Spec.Templates[i].Name] = &wf.Spec.Templates[i]
	}
	main := byName[wf.Spec.Entrypoint]
	if cron == "" || main == nil || len(main.Steps) != 1 || len(main.Steps[0]) != 1 || main.Steps[0][0].WithParam == "" {
		return "", "", "", false
	}
	create := byName[main.Steps[0][0].Template]
	if create == nil || create.Resource == nil || create.Resource.Action != "create" || create.Resource.Manifest == "" {
		return "", "", "", false
	}
	return cron, main.Steps[0][0].WithParam, create.Resource.Manifest, true
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
	if json.Unmarshal(body, &req) == nil {
		if cron, times, manifest, ok := req.cliBackfill(); ok {
			s.backfill(w, r, cron, times, manifest, dryRun(body))
			return
		}
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
// first (the CLI prints its name). All are created or none: the manifest
// is checked once (the times change only the schedule time parameter)
// and the workflows are stored in one transaction.
func (s *Server) backfill(w http.ResponseWriter, r *http.Request, cron, withParam, manifest string, dry bool) {
	fail := func(format string, a ...any) {
		writeError(w, codeInvalid, "backfill of "+cron+": "+fmt.Sprintf(format, a...))
	}
	var times []string
	if err := json.Unmarshal([]byte(withParam), &times); err != nil {
		fail("withParam is not a JSON list of schedule times: %v", err)
		return
	}
	switch work := len(manifest) * len(times); {
	case len(times) == 0:
		fail("withParam lists no schedule times")
		return
	case len(times) > maxBackfill:
		fail("%d schedule times, over %d: use a shorter --start/--end", len(times), maxBackfill)
		return
	case work > maxBackfillWork:
		fail("%d schedule times of a %d-byte workflow make %d MiB, over the %d MiB one request may create: "+
			"use a smaller --maxworkflowcount or a shorter --start/--end", len(times), len(manifest), work>>20, maxBackfillWork>>20)
		return
	}
	for _, at := range times {
		if len(at) > maxBackfillTime {
			fail("a schedule time of %d bytes, over %d", len(at), maxBackfillTime)
			return
		}
	}
	obj, params, err := backfillManifest(manifest)
	if err != nil {
		fail("the workflow manifest: %v", err)
		return
	}
	setBackfillTime(obj, params, times[0])
	d, ok := s.checkDoc(w, r, "workflow", wfv1.KindWorkflow, obj)
	if !ok {
		return
	}
	base := d.Workflow
	if base.Metadata.Labels == nil {
		base.Metadata.Labels = map[string]string{}
	}
	base.Metadata.Labels[labelBackfill] = cron
	if base.Metadata.Name != "" && len(times) > 1 {
		fail("the workflow has the fixed name %q, which %d workflows cannot share: give it a generateName", base.Metadata.Name, len(times))
		return
	}
	wfs := make([]*wfv1.Workflow, 0, len(times))
	for _, at := range times {
		one, err := withBackfillTime(base, params, at)
		if err != nil {
			fail("%v", err)
			return
		}
		wfs = append(wfs, one)
	}
	if dry {
		s.answerDryRun(w, r, wfs[0])
		return
	}
	if err := r.Context().Err(); err != nil {
		return // the client is gone: nothing is created
	}
	made, err := s.eng.SubmitAll(r.Context(), wfs)
	if err != nil {
		writeStoreError(w, fmt.Errorf("backfill of %s: nothing created: %w", cron, err))
		return
	}
	s.logger().Info(fmt.Sprintf("backfill of cron workflow %s: %d workflows created, labelled %s=%s",
		cron, len(made), labelBackfill, cron))
	writeJSON(w, http.StatusOK, made[0])
}

// backfillManifest reads the CLI's manifest into a workflow object and
// names the spec.arguments.parameters that take the schedule time: the
// only place the CLI puts backfillParam, and the only place semaflow
// puts each time.
func backfillManifest(manifest string) (map[string]any, []string, error) {
	js, err := yaml.YAMLToJSON([]byte(manifest))
	if err != nil {
		return nil, nil, err
	}
	var obj map[string]any
	if err := jsoncopy.UnmarshalNumbers(js, &obj); err != nil || obj == nil {
		return nil, nil, fmt.Errorf("not a workflow object")
	}
	lastParamWins(obj)
	var names []string
	for _, p := range argParams(obj) {
		if m, ok := p.(map[string]any); ok && m["value"] == backfillParam {
			if name, ok := m["name"].(string); ok {
				names = append(names, name)
			}
		}
	}
	kept, _ := json.Marshal(obj)
	if strings.Count(string(kept), backfillParam) != len(names) {
		return nil, nil, fmt.Errorf("%s is used elsewhere than as the value of a spec.arguments.parameters entry, "+
			"where argo cron backfill puts it and semaflow puts each schedule time", backfillParam)
	}
	return obj, names, nil
}

// setBackfillTime sets the parameters named in params to at.
func setBackfillTime(obj map[string]any, params []string, at string) {
	for _, p := range argParams(obj) {
		if m, ok := p.(map[string]any); ok {
			if name, _ := m["name"].(string); slices.Contains(params, name) {
				m["value"] = at
			}
		}
	}
}

// withBackfillTime is base with its params set to at, refused when at is
// not one of a parameter's allowed values. The spec is shared: Submit
// copies what it stores.
func withBackfillTime(base *wfv1.Workflow, params []string, at string) (*wfv1.Workflow, error) {
	one := *base
	one.Spec.Arguments.Parameters = slices.Clone(base.Spec.Arguments.Parameters)
	for i := range one.Spec.Arguments.Parameters {
		p := &one.Spec.Arguments.Parameters[i]
		if !slices.Contains(params, p.Name) {
			continue
		}
		if len(p.Enum) > 0 && !slices.Contains(p.Enum, wfv1.AnyString(at)) {
			return nil, fmt.Errorf("schedule time %q is not one of the allowed values of parameter %q", at, p.Name)
		}
		p.Value = wfv1.AnyString(at).Ptr()
	}
	return &one, nil
}

func argParams(obj map[string]any) []any {
	spec, _ := obj["spec"].(map[string]any)
	args, _ := spec["arguments"].(map[string]any)
	params, _ := args["parameters"].([]any)
	return params
}

// lastParamWins drops from spec.arguments.parameters every parameter a
// later one of the same name overrides: the CLI appends the schedule
// time parameter (--argname, cronScheduleTime) to the cron workflow's
// arguments, which may declare it already, with a default.
func lastParamWins(obj map[string]any) {
	params := argParams(obj)
	if len(params) < 2 {
		return
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
	obj["spec"].(map[string]any)["arguments"].(map[string]any)["parameters"] = kept
}
