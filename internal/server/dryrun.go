package server

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"slices"
)

// dryRun says whether a WorkflowCreateRequest asks for a check only:
// argo submit --server-dry-run sets serverDryRun, --dry-run sets
// createOptions.dryRun ["All"] (Kubernetes' dry run).
func dryRun(body []byte) bool {
	var req struct {
		ServerDryRun  bool `json:"serverDryRun"`
		CreateOptions struct {
			DryRun []string `json:"dryRun"`
		} `json:"createOptions"`
	}
	if json.Unmarshal(body, &req) != nil {
		return false
	}
	return req.ServerDryRun || slices.Contains(req.CreateOptions.DryRun, "All")
}

// dryRunWorkflow checks a workflow as a create would and answers it as
// it would be created, named, without creating it.
func (s *Server) dryRunWorkflow(w http.ResponseWriter, r *http.Request) {
	wf, ok := s.parseWorkflow(w, r)
	if !ok {
		return
	}
	if wf.Metadata.Name == "" {
		wf.Metadata.Name = wf.Metadata.GenerateName + randomSuffix()
	}
	writeJSON(w, http.StatusOK, wf)
}

// randomSuffix is five characters as Kubernetes appends to a
// generateName.
func randomSuffix() string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
