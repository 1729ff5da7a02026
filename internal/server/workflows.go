package server

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/reconcile"
	"github.com/semaflow/semaflow/internal/store"
)

// parseWorkflow checks a WorkflowCreateRequest's workflow.
func (s *Server) parseWorkflow(w http.ResponseWriter, r *http.Request) (*wfv1.Workflow, bool) {
	d, ok := s.parseDoc(w, r, "workflow", wfv1.KindWorkflow)
	if !ok {
		return nil, false
	}
	return d.Workflow, true
}

func (s *Server) createWorkflow(w http.ResponseWriter, r *http.Request) {
	wf, ok := s.parseWorkflow(w, r)
	if !ok {
		return
	}
	sub, err := s.eng.Submit(r.Context(), wf)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, sub)
}

func (s *Server) lintWorkflow(w http.ResponseWriter, r *http.Request) {
	if wf, ok := s.parseWorkflow(w, r); ok {
		writeJSON(w, http.StatusOK, wf)
	}
}

func (s *Server) getWorkflow(w http.ResponseWriter, r *http.Request) {
	wf, err := s.eng.Describe(r.Context(), r.PathValue("namespace"), r.PathValue("name"))
	if err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, wf)
}

func (s *Server) listWorkflows(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	opts := store.ListOptions{Namespace: r.PathValue("namespace"), Continue: q.Get("listOptions.continue")}
	if l := q.Get("listOptions.limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 {
			writeError(w, codeInvalid, "listOptions.limit must be a non-negative integer")
			return
		}
		opts.Limit = n
	}
	match, err := workflowMatcher(q.Get("listOptions.labelSelector"), q.Get("listOptions.fieldSelector"))
	if err != nil {
		writeError(w, codeInvalid, err.Error())
		return
	}
	opts.Match = match
	items, next, err := s.eng.ListRaw(r.Context(), opts)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	writeList(w, items, next)
}

// writeList writes Argo's WorkflowList. The items are the store's own
// compact JSON, so they are copied out as they are: encoding/json would
// scan each again and build the whole 10 MB answer in one buffer first.
func writeList(w http.ResponseWriter, items []json.RawMessage, next string) {
	w.Header().Set("Content-Type", "application/json")
	bw := bufio.NewWriterSize(w, 64<<10)
	_, _ = bw.WriteString(`{"metadata":{`)
	if next != "" {
		cont, _ := json.Marshal(next)
		_, _ = bw.WriteString(`"continue":`)
		_, _ = bw.Write(cont)
	}
	_, _ = bw.WriteString(`},"items":[`)
	for i, it := range items {
		if i > 0 {
			_ = bw.WriteByte(',')
		}
		_, _ = bw.Write(it)
	}
	_, _ = bw.WriteString("]}\n")
	_ = bw.Flush()
}

func (s *Server) deleteWorkflow(w http.ResponseWriter, r *http.Request) {
	if err := s.eng.Delete(r.Context(), r.PathValue("namespace"), r.PathValue("name")); err != nil {
		if !s.elsewhere(w, r, err, false) {
			writeStoreError(w, err)
		}
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// workflowAction is a PUT on a workflow: stop, terminate, suspend, resume,
// retry or resubmit. Each answers with the workflow.
type workflowAction func(ctx context.Context, namespace, name string) (*wfv1.Workflow, error)

func (s *Server) act(fn workflowAction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		wf, err := fn(r.Context(), r.PathValue("namespace"), r.PathValue("name"))
		if err != nil {
			if !s.elsewhere(w, r, err, false) {
				writeStoreError(w, err)
			}
			return
		}
		writeJSON(w, http.StatusOK, wf)
	}
}

func (s *Server) stop(terminate bool) workflowAction {
	return func(ctx context.Context, ns, name string) (*wfv1.Workflow, error) {
		return s.eng.StopByName(ctx, ns, name, terminate)
	}
}

// retryWorkflow takes Argo's WorkflowRetryRequest: restartSuccessful and
// nodeFieldSelector restart succeeded nodes too.
func (s *Server) retryWorkflow(w http.ResponseWriter, r *http.Request) {
	var opts reconcile.RetryOptions
	if !readJSON(w, r, "retry request", &opts, true) {
		return
	}
	if err := s.workflowInReach(r.Context(), r.PathValue("namespace"), r.PathValue("name")); err != nil {
		writeStoreError(w, err)
		return
	}
	wf, err := s.eng.Retry(r.Context(), r.PathValue("namespace"), r.PathValue("name"), opts)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, wf)
}
