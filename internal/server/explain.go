package server

import (
	"fmt"
	"net/http"
	"strings"
	"unicode"

	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/spec"
)

// maxNodeParam bounds ?node=: node names are workflow names with a path of
// steps, which spec.Limits keeps far below this.
const maxNodeParam = 1024

// explainWorkflow answers GET /api/v1/workflows/{ns}/{name}/explain?node=:
// why a workflow or node waits, what it holds, what a failed wait waited
// for (engine.Explanation). A token scoped to namespaces sees the names of
// its namespaces' workflows only.
func (s *Server) explainWorkflow(w http.ResponseWriter, r *http.Request) {
	ns, name, node := r.PathValue("namespace"), r.PathValue("name"), r.URL.Query().Get("node")
	if err := spec.ValidNamespace(ns); err != nil {
		writeError(w, codeInvalid, fmt.Sprintf("explain: namespace %v", err))
		return
	}
	if err := spec.ValidName(name); err != nil {
		writeError(w, codeInvalid, fmt.Sprintf("explain %s/%.80q: workflow name %v", ns, name, err))
		return
	}
	if len(node) > maxNodeParam || strings.IndexFunc(node, unicode.IsControl) >= 0 {
		writeError(w, codeInvalid, fmt.Sprintf("explain %s/%s: node %.80q: at most %d characters, no control characters", ns, name, node, maxNodeParam))
		return
	}
	x, err := s.eng.Explain(r.Context(), ns, name, engine.ExplainOptions{Node: node, Namespaces: tokenNamespaces(r.Context())})
	if err != nil {
		writeStoreError(w, fmt.Errorf("explain %s/%s: %w", ns, name, err))
		return
	}
	writeJSON(w, http.StatusOK, x)
}
