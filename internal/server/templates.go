package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
)

// objectList is the list shape Argo uses for templates and cron
// workflows.
type objectList struct {
	Metadata struct{}          `json:"metadata"`
	Items    []json.RawMessage `json:"items"`
}

// templateRoutes serves WorkflowTemplates (namespaced) and
// ClusterWorkflowTemplates on Argo's paths.
func (s *Server) templateRoutes(mux *http.ServeMux) {
	for _, r := range []struct{ base, kind string }{
		{"/api/v1/workflow-templates/{namespace}", wfv1.KindWorkflowTemplate},
		{"/api/v1/cluster-workflow-templates", wfv1.KindClusterWorkflowTemplate},
	} {
		mux.HandleFunc("POST "+r.base, s.putTemplate(r.kind, true))
		mux.HandleFunc("POST "+r.base+"/lint", s.lintObject("template", r.kind))
		mux.HandleFunc("GET "+r.base, s.listObjects(r.kind))
		mux.HandleFunc("GET "+r.base+"/{name}", s.getObject(r.kind))
		mux.HandleFunc("PUT "+r.base+"/{name}", s.putTemplate(r.kind, false))
		// The argo CLI's update leaves the name out of the path (its
		// request has none but the template's own).
		mux.HandleFunc("PUT "+r.base+"/{$}", s.putTemplate(r.kind, false))
		mux.HandleFunc("DELETE "+r.base+"/{name}", s.deleteObject(r.kind))
	}
}

// putTemplate creates (create: 409 when the name is taken) or replaces a
// template (404 when there is none); workflows submitted afterwards use it at once.
func (s *Server) putTemplate(kind string, create bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, ok := s.parseDoc(w, r, "template", kind)
		if !ok {
			return
		}
		wt := d.Template
		ns := r.PathValue("namespace")
		var old wfv1.WorkflowTemplate
		err := s.eng.Object(r.Context(), kind, ns, wt.Metadata.Name, &old)
		switch {
		case err == nil && create:
			writeStoreError(w, fmt.Errorf("%s %s: %w", kind, wt.Metadata.Name, store.ErrExists))
			return
		case errors.Is(err, store.ErrNotFound) && !create:
			// As Argo's update: the CLI's is a GET then a PUT, and a
			// delete between them must not bring the template back.
			writeStoreError(w, fmt.Errorf("%s %s: %w", kind, wt.Metadata.Name, store.ErrNotFound))
			return
		case err != nil && !errors.Is(err, store.ErrNotFound):
			writeStoreError(w, err)
			return
		}
		// Kept across updates, as Kubernetes keeps it; argo template get
		// and list show it.
		wt.Metadata.CreationTimestamp = old.Metadata.CreationTimestamp
		if wt.Metadata.CreationTimestamp == nil {
			now := time.Now().UTC().Truncate(time.Second)
			wt.Metadata.CreationTimestamp = &now
		}
		if err := s.eng.Apply(r.Context(), nil, []*wfv1.WorkflowTemplate{wt}); err != nil {
			writeStoreError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, wt)
	}
}

// lintObject checks a template or cron workflow without storing it.
func (s *Server) lintObject(field, kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, ok := s.parseDoc(w, r, field, kind)
		if !ok {
			return
		}
		if d.Template != nil {
			writeJSON(w, http.StatusOK, d.Template)
			return
		}
		writeJSON(w, http.StatusOK, d.Cron)
	}
}

func (s *Server) listObjects(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		items, err := s.eng.Objects(r.Context(), kind, r.PathValue("namespace"))
		if err != nil {
			writeStoreError(w, err)
			return
		}
		out := objectList{Items: items}
		if out.Items == nil {
			out.Items = []json.RawMessage{}
		}
		writeJSON(w, http.StatusOK, out)
	}
}

func (s *Server) getObject(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var out json.RawMessage
		if err := s.eng.Object(r.Context(), kind, r.PathValue("namespace"), r.PathValue("name"), &out); err != nil {
			writeStoreError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}

func (s *Server) deleteObject(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := s.eng.DeleteObject(r.Context(), kind, r.PathValue("namespace"), r.PathValue("name")); err != nil {
			writeStoreError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, struct{}{})
	}
}
