package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/jsoncopy"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/store"
)

// parseDoc reads a create, update or lint request, whose object sits in
// field (Argo's "workflow", "template", "cronWorkflow"), and checks it
// with the same checks as `semaflow lint`, resolving the templates and
// ConfigMaps already applied. A missing kind is taken from the endpoint.
// It answers 400 itself, with lint's messages, when the object is bad.
func (s *Server) parseDoc(w http.ResponseWriter, r *http.Request, field, kind string) (*spec.Document, bool) {
	body, ok := readBody(w, r)
	if !ok {
		return nil, false
	}
	var req map[string]json.RawMessage
	var obj map[string]any
	// Numbers keep their text, so the object checkDoc encodes again is
	// the one `semaflow run` would read from the same bytes.
	if json.Unmarshal(body, &req) != nil || jsoncopy.UnmarshalNumbers(req[field], &obj) != nil || obj == nil {
		writeError(w, codeInvalid, "the body must be {\""+field+"\": {...}}")
		return nil, false
	}
	return s.checkDoc(w, r, field, kind, obj)
}

// checkDoc checks obj, the object of a request (or one the server built
// from it), as parseDoc does; it answers 400 itself when obj is bad.
func (s *Server) checkDoc(w http.ResponseWriter, r *http.Request, field, kind string, obj map[string]any) (*spec.Document, bool) {
	if k, _ := obj["kind"].(string); k == "" {
		obj["kind"] = kind
	}
	if v, _ := obj["apiVersion"].(string); v == "" {
		obj["apiVersion"] = "argoproj.io/v1alpha1"
	}
	raw, _ := json.Marshal(obj)
	ns := r.PathValue("namespace")
	f := spec.Parse(field, raw, spec.Options{Namespace: ns})
	if !s.reachable(w, r, f) {
		return nil, false
	}
	set := spec.NewSet(f)
	set.Applied = appliedLookup{s.eng.Resolver(), r.Context(), s.eng}
	set.Limits = s.eng.Limits()
	set.Validate()
	if diags := set.Diagnostics(); diags.HasErrors() {
		var msgs []string
		for _, d := range diags {
			if d.Severity == spec.SeverityError {
				msgs = append(msgs, d.String())
			}
		}
		writeError(w, codeInvalid, strings.Join(msgs, "\n"))
		return nil, false
	}
	if len(f.Docs) != 1 || f.Docs[0].Kind != kind {
		writeError(w, codeInvalid, "the request must hold one "+kind)
		return nil, false
	}
	d := f.Docs[0]
	if got := d.Namespace(); ns != "" && got != ns {
		writeError(w, codeInvalid, kind+" namespace "+got+" does not match the path's "+ns)
		return nil, false
	}
	if name := r.PathValue("name"); name != "" && name != d.Name {
		writeError(w, codeInvalid, kind+" name "+d.Name+" does not match the path's "+name)
		return nil, false
	}
	s.warnIgnored(w, r, d)
	return d, true
}

// appliedLookup finds the applied objects and the database semaphore
// limits a request's manifest is checked against.
type appliedLookup struct {
	spec.Lookup
	ctx context.Context
	eng *engine.Engine
}

func (a appliedLookup) DatabaseLimit(namespace, key string) (int, bool) {
	n, err := a.eng.GetSyncLimit(a.ctx, engine.SyncLimit{Namespace: namespace, Key: key, Database: true})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return 0, false
	case err != nil:
		return 1, true // unreadable: lint says nothing rather than guess
	}
	return n, true
}
