package server

import (
	"net/http"

	"github.com/semaflow/semaflow/internal/engine"
)

// nodes is semaflow's own GET /api/v1/nodes: the engines recorded in the
// store (one per session: this one, the other nodes on a shared
// database, and those whose lease expired) with the workflows each runs.
// Every token may read it; a scoped one sees only its namespaces'
// workflows, in the counts too.
func (s *Server) nodes(w http.ResponseWriter, r *http.Request) {
	list, err := s.eng.Nodes(r.Context(), engine.NodesOptions{Namespaces: tokenNamespaces(r.Context())})
	if err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}
