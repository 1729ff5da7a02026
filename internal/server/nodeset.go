package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	"github.com/semaflow/semaflow/internal/reconcile"
)

// setRequest is Argo's WorkflowSetRequest; outputParameters is a JSON
// object of names to values, in a string.
type setRequest struct {
	NodeFieldSelector string `json:"nodeFieldSelector"`
	Message           string `json:"message"`
	Phase             string `json:"phase"`
	OutputParameters  string `json:"outputParameters"`
}

// setNode serves `argo node set`.
func (s *Server) setNode(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req setRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, codeInvalid, "set request: "+err.Error())
		return
	}
	v := reconcile.SetValues{Selector: req.NodeFieldSelector, Phase: req.Phase, Message: req.Message}
	if req.OutputParameters != "" {
		if err := json.Unmarshal([]byte(req.OutputParameters), &v.Outputs); err != nil {
			writeError(w, codeInvalid, "unable to parse output parameter set request: "+err.Error())
			return
		}
	}
	// Setting a node lets the workflow go on, and its outputs may name
	// the locks of the steps after it.
	if err := s.workflowInReach(r.Context(), r.PathValue("namespace"), r.PathValue("name")); err != nil {
		writeStoreError(w, err)
		return
	}
	wf, err := s.eng.SetNode(r.Context(), r.PathValue("namespace"), r.PathValue("name"), v)
	if err != nil {
		// Another node runs it: the request goes there whole.
		r.Body = io.NopCloser(bytes.NewReader(body))
		if !s.elsewhere(w, r, err, false) {
			writeStoreError(w, err)
		}
		return
	}
	writeJSON(w, http.StatusOK, wf)
}
