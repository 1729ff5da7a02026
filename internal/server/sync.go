package server

import (
	"encoding/json"
	"net/http"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/locks"
)

// syncLimit is Argo's SyncLimitResponse (and the body of its create and
// update requests).
type syncLimit struct {
	CmName    string `json:"cmName,omitempty"`
	Key       string `json:"key"`
	Limit     int    `json:"limit"`
	Namespace string `json:"namespace"`
	Type      string `json:"type,omitempty"`
}

func (s *Server) syncRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/sync/{namespace}", s.putSyncLimit(true))
	mux.HandleFunc("PUT /api/v1/sync/{namespace}/{key}", s.putSyncLimit(false))
	mux.HandleFunc("GET /api/v1/sync/{namespace}/{key}", s.getSyncLimit)
	mux.HandleFunc("DELETE /api/v1/sync/{namespace}/{key}", s.deleteSyncLimit)
	// semaflow's own: every lock with its holders and waiters.
	mux.HandleFunc("GET /api/v1/sync-status", s.syncStatus)
}

// limitOf reads which limit a request means; it answers 400 itself.
func limitOf(w http.ResponseWriter, ns, typ, cmName, key string) (engine.SyncLimit, bool) {
	l := engine.SyncLimit{Namespace: ns, CmName: cmName, Key: key}
	switch typ {
	case "", "CONFIGMAP":
		if cmName == "" {
			writeError(w, codeInvalid, "cmName is required for a CONFIGMAP limit")
			return l, false
		}
	case "DATABASE":
		l.Database, l.CmName = true, ""
	default:
		writeError(w, codeInvalid, "type must be CONFIGMAP or DATABASE, not "+typ)
		return l, false
	}
	if key == "" {
		writeError(w, codeInvalid, "key is required")
		return l, false
	}
	return l, true
}

func (s *Server) putSyncLimit(create bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		var req syncLimit
		if err := json.Unmarshal(body, &req); err != nil {
			writeError(w, codeInvalid, "body: "+err.Error())
			return
		}
		if k := r.PathValue("key"); k != "" {
			req.Key = k
		}
		req.Namespace = r.PathValue("namespace")
		l, ok := limitOf(w, req.Namespace, req.Type, req.CmName, req.Key)
		if !ok {
			return
		}
		if err := s.eng.SetSyncLimit(r.Context(), l, req.Limit, create); err != nil {
			writeStoreError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, req)
	}
}

func (s *Server) getSyncLimit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	l, ok := limitOf(w, r.PathValue("namespace"), q.Get("type"), q.Get("cmName"), r.PathValue("key"))
	if !ok {
		return
	}
	n, err := s.eng.GetSyncLimit(r.Context(), l)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	typ := "CONFIGMAP"
	if l.Database {
		typ = "DATABASE"
	}
	writeJSON(w, http.StatusOK, syncLimit{CmName: l.CmName, Key: l.Key, Limit: n, Namespace: l.Namespace, Type: typ})
}

func (s *Server) deleteSyncLimit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	l, ok := limitOf(w, r.PathValue("namespace"), q.Get("type"), q.Get("cmName"), r.PathValue("key"))
	if !ok {
		return
	}
	if err := s.eng.DeleteSyncLimit(r.Context(), l); err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// syncStatus lists the locks, or with ?namespace= that namespace's alone
// (the only way a scoped token may ask).
func (s *Server) syncStatus(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	views, err := s.eng.Locks(r.Context(), q.Get("lock"))
	if err != nil {
		writeStoreError(w, err)
		return
	}
	if ns := q.Get("namespace"); ns != "" {
		views = locksOf(views, ns)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": views})
}

// locksOf keeps ns's locks, and of their holders and waiters those of
// ns: the reach checks keep other namespaces' workflows off ns's locks,
// but a lock taken before them, or a bug, must not show another team's
// workflow names.
func locksOf(views []locks.View, ns string) []locks.View {
	out := []locks.View{}
	for _, v := range views {
		if k, err := domain.ParseLockKey(v.Lock); err != nil || k.Namespace != ns {
			continue
		}
		holders := map[string]uint64{}
		for h, tok := range v.Holders {
			if holderIn(h, ns) {
				holders[h] = tok
			}
		}
		waiters := []string{}
		for _, wt := range v.Waiters {
			if holderIn(wt, ns) {
				waiters = append(waiters, wt)
			}
		}
		v.Holders, v.Waiters = holders, waiters
		out = append(out, v)
	}
	return out
}

// holderIn says whether holder is a workflow of ns or one of its nodes.
func holderIn(holder, ns string) bool {
	k, err := domain.ParseHolderKey(holder)
	return err == nil && k.Namespace == ns
}
