package server

import (
	"net/http"

	"github.com/semaflow/semaflow/api/wfv1"
)

func (s *Server) cronRoutes(mux *http.ServeMux) {
	const base = "/api/v1/cron-workflows/{namespace}"
	kind := wfv1.KindCronWorkflow
	mux.HandleFunc("POST "+base, s.putCron(true))
	mux.HandleFunc("POST "+base+"/lint", s.lintObject("cronWorkflow", kind))
	mux.HandleFunc("GET "+base, s.listObjects(kind))
	mux.HandleFunc("GET "+base+"/{name}", s.getObject(kind))
	mux.HandleFunc("PUT "+base+"/{name}", s.putCron(false))
	// argo cron update sends no name in the path, only in the object.
	mux.HandleFunc("PUT "+base+"/{$}", s.putCron(false))
	mux.HandleFunc("DELETE "+base+"/{name}", s.deleteObject(kind))
	mux.HandleFunc("PUT "+base+"/{name}/suspend", s.suspendCron(true))
	mux.HandleFunc("PUT "+base+"/{name}/resume", s.suspendCron(false))
}

func (s *Server) putCron(create bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, ok := s.parseDoc(w, r, "cronWorkflow", wfv1.KindCronWorkflow)
		if !ok {
			return
		}
		cw, err := s.eng.ApplyCron(r.Context(), d.Cron, create)
		if err != nil {
			writeStoreError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, cw)
	}
}

func (s *Server) suspendCron(suspend bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !suspend {
			// A resumed cron workflow creates workflows again.
			if err := s.cronInReach(r.Context(), r.PathValue("namespace"), r.PathValue("name")); err != nil {
				writeStoreError(w, err)
				return
			}
		}
		cw, err := s.eng.SetCronSuspend(r.Context(), r.PathValue("namespace"), r.PathValue("name"), suspend)
		if err != nil {
			writeStoreError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, cw)
	}
}
