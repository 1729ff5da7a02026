package server

import (
	"net/http"
)

// resubmitRequest is Argo's WorkflowResubmitRequest.
type resubmitRequest struct {
	Memoized   bool     `json:"memoized"`
	Parameters []string `json:"parameters"`
}

// resubmitWorkflow serves `argo resubmit [-p NAME=VALUE]`. --memoized,
// which makes the new workflow reuse the old one's succeeded steps, is
// refused rather than ignored: retry does that here.
func (s *Server) resubmitWorkflow(w http.ResponseWriter, r *http.Request) {
	var req resubmitRequest
	if !readJSON(w, r, "resubmit request", &req, true) {
		return
	}
	if req.Memoized {
		writeError(w, codeInvalid, "resubmit --memoized is not supported by semaflow: use argo retry, which runs the failed steps again and keeps the succeeded ones")
		return
	}
	wf, err := s.eng.Resubmit(r.Context(), r.PathValue("namespace"), r.PathValue("name"), req.Parameters)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, wf)
}
