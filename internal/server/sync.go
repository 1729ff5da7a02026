package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/locks"
	"github.com/semaflow/semaflow/internal/spec"
)

// syncLimit is Argo's SyncLimitResponse. Type is the enum's number, as
// Argo writes it (the CLI decodes it into an int32), left out for
// CONFIGMAP.
type syncLimit struct {
	CmName    string `json:"cmName,omitempty"`
	Key       string `json:"key"`
	Limit     int    `json:"limit"`
	Namespace string `json:"namespace"`
	Type      int    `json:"type,omitempty"`
}

// syncLimitRequest is the body of Argo's create and update requests: the
// type as a name or number, either one absent being zero.
type syncLimitRequest struct {
	CmName    string          `json:"cmName"`
	Key       string          `json:"key"`
	Limit     json.RawMessage `json:"limit"`
	Namespace string          `json:"namespace"`
	Type      json.RawMessage `json:"type"`
}

func (s *Server) syncRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/sync/{namespace}", s.putSyncLimit(true))
	mux.HandleFunc("PUT /api/v1/sync/{namespace}/{key}", s.putSyncLimit(false))
	mux.HandleFunc("GET /api/v1/sync/{namespace}/{key}", s.getSyncLimit)
	mux.HandleFunc("DELETE /api/v1/sync/{namespace}/{key}", s.deleteSyncLimit)
	// semaflow's own: every lock with its holders and waiters.
	mux.HandleFunc("GET /api/v1/sync-status", s.syncStatus)
}

// limitOf reads which limit a request means (typ: the SyncConfigType's
// number); it answers 400 itself.
func limitOf(w http.ResponseWriter, ns string, typ int, cmName, key string) (engine.SyncLimit, bool) {
	l := engine.SyncLimit{Namespace: ns, CmName: cmName, Key: key}
	if typ == 1 {
		l.Database, l.CmName = true, ""
	} else if cmName == "" {
		writeError(w, codeInvalid, "cmName is required for a CONFIGMAP limit")
		return l, false
	}
	if key == "" {
		writeError(w, codeInvalid, "key is required")
		return l, false
	}
	if err := validSyncLimit(l); err != nil {
		writeError(w, codeInvalid, err.Error())
		return l, false
	}
	return l, true
}

// validSyncLimit checks a limit's namespace, ConfigMap name and key as
// the rest of the API checks them (a workflow's synchronization block
// naming the same lock is checked by spec.CheckLockName too).
func validSyncLimit(l engine.SyncLimit) error {
	if err := spec.ValidNamespace(l.Namespace); err != nil {
		return fmt.Errorf("namespace %w", err)
	}
	if !l.Database {
		if err := spec.CheckLockName(".configMapKeyRef.name", l.CmName); err != nil {
			return err
		}
		return spec.CheckLockName(".configMapKeyRef.key", l.Key)
	}
	if strings.Contains(l.Key, "/") {
		// The key is a segment of the sync API's paths.
		return fmt.Errorf("database key %.80q must not contain '/': argo sync get, update and delete could not name it", l.Key)
	}
	if err := spec.CheckLockName(".database.key", l.Key); err != nil {
		return fmt.Errorf("database key: %w", err)
	}
	return nil
}

func (s *Server) putSyncLimit(create bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req syncLimitRequest
		if !readJSON(w, r, "sync limit body", &req, false) {
			return
		}
		typ, err := enumOf(req.Type, "type", syncTypes)
		if err != nil {
			writeError(w, codeInvalid, err.Error())
			return
		}
		limit, err := int32Of(req.Limit, "limit")
		if err == nil && limit < 0 {
			err = fmt.Errorf("limit must not be negative, not %d (0 pauses the semaphore)", limit)
		}
		if err != nil {
			writeError(w, codeInvalid, err.Error())
			return
		}
		if k := r.PathValue("key"); k != "" {
			req.Key = k
		}
		req.Namespace = r.PathValue("namespace")
		l, ok := limitOf(w, req.Namespace, typ, req.CmName, req.Key)
		if !ok {
			return
		}
		if err := s.eng.SetSyncLimit(r.Context(), l, limit, create); err != nil {
			writeStoreError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, syncLimit{CmName: l.CmName, Key: l.Key, Limit: limit, Namespace: l.Namespace, Type: typ})
	}
}

// syncLimitParams reads a get or delete request's limit from its path
// and query; it answers 400 itself.
func syncLimitParams(w http.ResponseWriter, r *http.Request) (engine.SyncLimit, bool) {
	q := r.URL.Query()
	typ, err := enumParam(q.Get("type"), "type", syncTypes)
	if err != nil {
		writeError(w, codeInvalid, err.Error())
		return engine.SyncLimit{}, false
	}
	return limitOf(w, r.PathValue("namespace"), typ, q.Get("cmName"), r.PathValue("key"))
}

func (s *Server) getSyncLimit(w http.ResponseWriter, r *http.Request) {
	l, ok := syncLimitParams(w, r)
	if !ok {
		return
	}
	n, err := s.eng.GetSyncLimit(r.Context(), l)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	typ := 0
	if l.Database {
		typ = 1
	}
	writeJSON(w, http.StatusOK, syncLimit{CmName: l.CmName, Key: l.Key, Limit: n, Namespace: l.Namespace, Type: typ})
}

func (s *Server) deleteSyncLimit(w http.ResponseWriter, r *http.Request) {
	l, ok := syncLimitParams(w, r)
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
		// Counted, not named: the lock is in use all the same.
		v.OtherHolders, v.OtherWaiters = len(v.Holders)-len(holders), len(v.Waiters)-len(waiters)
		var starts map[string]locks.Start
		for h, st := range v.Starts {
			if holderIn(h, ns) {
				if starts == nil {
					starts = map[string]locks.Start{}
				}
				starts[h] = st
			}
		}
		v.Holders, v.Waiters, v.Starts = holders, waiters, starts
		holding := []locks.Holding{}
		for _, h := range v.Holding {
			if holderIn(h.Holder, ns) {
				holding = append(holding, h)
			}
		}
		queue := []locks.Waiting{}
		for _, w := range v.Queue {
			if holderIn(w.Holder, ns) {
				if w.ReservedBy != "" && !holderIn(w.ReservedBy, ns) {
					w.ReservedBy, w.Reason = "", "A permit is reserved for an earlier waiter of another namespace."
				}
				queue = append(queue, w)
			}
		}
		v.Holding, v.Queue = holding, queue
		out = append(out, v)
	}
	return out
}

// holderIn says whether holder is a workflow of ns or one of its nodes.
func holderIn(holder, ns string) bool {
	k, err := domain.ParseHolderKey(holder)
	return err == nil && k.Namespace == ns
}
