package server

import (
	"net/http"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/spec"
)

// applyConfigMap creates or replaces a ConfigMap (YAML or JSON). A changed
// semaphore limit applies at once.
func (s *Server) applyConfigMap(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	ns := r.PathValue("namespace")
	f := spec.Parse("configmap", body, spec.Options{Namespace: ns})
	if diags := f.AllDiags(); diags.HasErrors() {
		writeError(w, codeInvalid, diags.Error())
		return
	}
	var cm *wfv1.ConfigMap
	for _, d := range f.Docs {
		if d.ConfigMap != nil {
			cm = d.ConfigMap
		}
	}
	if cm == nil {
		writeError(w, codeInvalid, "the request holds no ConfigMap")
		return
	}
	if name := r.PathValue("name"); name != "" && name != cm.Metadata.Name {
		writeError(w, codeInvalid, "ConfigMap name "+cm.Metadata.Name+" does not match the path's "+name)
		return
	}
	if cm.Metadata.Namespace != ns {
		writeError(w, codeInvalid, "ConfigMap namespace "+cm.Metadata.Namespace+" does not match the path's "+ns)
		return
	}
	if err := s.eng.Apply(r.Context(), []*wfv1.ConfigMap{cm}, nil); err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, cm)
}

func (s *Server) getConfigMap(w http.ResponseWriter, r *http.Request) {
	cm := s.eng.Resolver().ConfigMap(r.PathValue("namespace"), r.PathValue("name"))
	if cm == nil {
		writeError(w, codeNotFound, "ConfigMap "+r.PathValue("namespace")+"/"+r.PathValue("name")+" not found")
		return
	}
	writeJSON(w, http.StatusOK, cm)
}
