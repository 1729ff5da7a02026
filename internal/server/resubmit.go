package server

import (
	"net/http"
)

// resubmitRequest is Argo's WorkflowResubmitRequest.
type resubmitRequest struct {
	Memoized   bool     `json:"memoized"`
	Parameters []string `json:"parameters"`
}

// resubmitWorkflow serves `argo resubmit [--memoized] [-p NAME=VALUE]`;
// --memoized makes the new workflow reuse the old one's succeeded steps.
func (s *Server) resubmitWorkflow(w http.ResponseWriter, r *http.Request) {
	var req resubmitRequest
	if !readJSON(w, r, "resubmit request", &req, true) {
		return
	}
	if err := s.workflowInReach(r.Context(), r.PathValue("namespace"), r.PathValue("name")); err != nil {
		writeStoreError(w, err)
		return
	}
	wf, err := s.eng.Resubmit(r.Context(), r.PathValue("namespace"), r.PathValue("name"), req.Parameters, req.Memoized)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, wf)
}
