package server

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
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
	s.answerDryRun(w, r, wf)
}

// answerDryRun answers wf as a Kubernetes dry run of its create would:
// AlreadyExists when its name is taken, else wf named (a generateName
// gets the suffix it would get), nothing created.
func (s *Server) answerDryRun(w http.ResponseWriter, r *http.Request, wf *wfv1.Workflow) {
	out := *wf
	if out.Metadata.Name == "" {
		out.Metadata.Name = out.Metadata.GenerateName + randomSuffix()
	} else {
		ns := out.Metadata.Namespace
		if ns == "" {
			ns = r.PathValue("namespace")
		}
		_, err := s.eng.Get(r.Context(), ns, out.Metadata.Name)
		if err == nil {
			err = fmt.Errorf("workflow %s/%s: %w", ns, out.Metadata.Name, store.ErrExists)
		}
		if !errors.Is(err, store.ErrNotFound) {
			writeStoreError(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, &out)
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
