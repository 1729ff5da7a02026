package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/store"
)

// heartbeatEvery keeps an idle watch or log stream from being cut by
// proxies; a variable so tests can shorten it.
var heartbeatEvery = 15 * time.Second

// watchEvent is Argo's WorkflowWatchEvent.
type watchEvent struct {
	Type   string          `json:"type"`
	Object json.RawMessage `json:"object"`
}

// watchWorkflows streams workflow changes. As a Kubernetes watch without
// a resourceVersion does, it first sends the matching workflows as ADDED,
// then every change. A client that falls far behind is cut off and
// reconnects.
func (s *Server) watchWorkflows(w http.ResponseWriter, r *http.Request) {
	ns := r.PathValue("namespace")
	q := r.URL.Query()
	match, err := workflowMatcher(q.Get("listOptions.labelSelector"), q.Get("listOptions.fieldSelector"))
	if err != nil {
		writeError(w, codeInvalid, err.Error())
		return
	}
	// Subscribe before reading the current state, so no change falls in
	// between.
	watcher := s.eng.Watch(ns)
	defer s.eng.Unwatch(watcher)
	initial, err := s.currentState(r, ns, match, q.Get("listOptions.fieldSelector"))
	if err != nil {
		writeStoreError(w, err)
		return
	}
	st := newStream(w, r)
	for _, wf := range initial {
		raw, err := json.Marshal(wf)
		if err != nil || st.send(watchEvent{Type: engine.Added, Object: raw}) != nil {
			return
		}
	}
	tick := time.NewTicker(heartbeatEvery)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if st.heartbeat() != nil {
				return
			}
		case ev, ok := <-watcher.C:
			if !ok {
				return
			}
			if match != nil && !match(&wfv1.Workflow{Metadata: ev.Metadata, Status: wfv1.WorkflowStatus{Phase: ev.Phase}}) {
				continue
			}
			if st.send(watchEvent{Type: ev.Type, Object: ev.Object}) != nil {
				return
			}
		}
	}
}

// currentState is what a new watcher sees first: whole workflows when the
// field selector names one, else the listed (node-less) workflows.
func (s *Server) currentState(r *http.Request, ns string, match func(*wfv1.Workflow) bool, fieldSel string) ([]*wfv1.Workflow, error) {
	for _, term := range strings.Split(fieldSel, ",") {
		if name, ok := strings.CutPrefix(strings.TrimSpace(term), "metadata.name="); ok && ns != "" {
			// As get shows it: waits with their position and estimated
			// start as the queues stand now.
			wf, err := s.eng.Describe(r.Context(), ns, strings.TrimPrefix(name, "="))
			if err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return nil, nil
				}
				return nil, err
			}
			return []*wfv1.Workflow{wf}, nil
		}
	}
	list, _, err := s.eng.List(r.Context(), store.ListOptions{Namespace: ns, Match: match})
	return list, err
}
