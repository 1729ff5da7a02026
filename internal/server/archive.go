package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/reconcile"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/store"
)

// ArchivePageMax bounds one page of the archive list: a list asked
// without a limit, or with a larger one, gets this many and a continue
// token (the argo CLI follows it), so no request reads the whole archive.
const ArchivePageMax = 500

// archiveRoutes serves Argo's ArchivedWorkflowService.
func (s *Server) archiveRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/archived-workflows", s.listArchived)
	mux.HandleFunc("GET /api/v1/archived-workflows/{uid}", s.getArchived)
	mux.HandleFunc("DELETE /api/v1/archived-workflows/{uid}", s.deleteArchived)
	mux.HandleFunc("PUT /api/v1/archived-workflows/{uid}/resubmit", s.resubmitArchived)
	mux.HandleFunc("PUT /api/v1/archived-workflows/{uid}/retry", s.retryArchived)
	mux.HandleFunc("GET /api/v1/archived-workflows-label-keys", s.archivedLabels(false))
	mux.HandleFunc("GET /api/v1/archived-workflows-label-values", s.archivedLabels(true))
}

// archiveQuery reads Argo's ListArchivedWorkflowsRequest: the namespace
// (the parameter, or metadata.namespace in the field selector, which
// must agree), metadata.name in the field selector with =, == or !=,
// namePrefix, nameFilter (Exact, Contains, Prefix or NotEquals: it
// applies to the field selector's name, or else to namePrefix, which is
// how `argo archive get NAME` asks for NAME alone), spec.startedAt> and <
// (RFC 3339), the label selector (with Argo's phase and completed labels),
// and the page.
func archiveQuery(r *http.Request) (store.ArchiveListOptions, error) {
	q := r.URL.Query()
	var opts store.ArchiveListOptions
	ns, err := archiveNamespace(r)
	if err != nil {
		return opts, err
	}
	var notNS, name, nameOp string
	var minStart, maxStart time.Time
	for _, term := range strings.Split(q.Get("listOptions.fieldSelector"), ",") {
		term = strings.TrimSpace(term)
		switch {
		case term == "", strings.HasPrefix(term, "metadata.namespace="), strings.HasPrefix(term, "ext.showRemainingItemCount"):
			// The namespace is archiveNamespace's; the count is not kept.
		case strings.HasPrefix(term, "metadata.namespace!="):
			notNS = strings.TrimPrefix(term, "metadata.namespace!=")
		case strings.HasPrefix(term, "metadata.name!="):
			name, nameOp = strings.TrimPrefix(term, "metadata.name!="), "NotEquals"
		case strings.HasPrefix(term, "metadata.name=="):
			name = strings.TrimPrefix(term, "metadata.name==")
		case strings.HasPrefix(term, "metadata.name="):
			name = strings.TrimPrefix(term, "metadata.name=")
		case strings.HasPrefix(term, "spec.startedAt>"), strings.HasPrefix(term, "spec.startedAt<"):
			at, err := time.Parse(time.RFC3339, term[len("spec.startedAt>"):])
			if err != nil {
				return opts, fmt.Errorf("field selector %q: the time must be RFC 3339 (2006-01-02T15:04:05Z)", term)
			}
			if term[len("spec.startedAt")] == '>' {
				minStart = at
			} else {
				maxStart = at
			}
		default:
			return opts, fmt.Errorf("field selector %q is not supported: the archive takes metadata.namespace, metadata.name "+
				"(=, ==, !=) and spec.startedAt (> or <)", term)
		}
	}
	filter := q.Get("nameFilter")
	if nameOp == "" {
		nameOp = filter
	}
	prefix := q.Get("namePrefix")
	if name == "" && prefix != "" && filter != "" && filter != "Prefix" {
		name, prefix = prefix, ""
	}
	nameMatch, err := nameMatcher(name, nameOp)
	if err != nil {
		return opts, err
	}
	labels, err := workflowMatcher(q.Get("listOptions.labelSelector"), "")
	if err != nil {
		return opts, err
	}
	if ns != "" {
		opts.Namespaces = []string{ns}
	}
	opts.NotNamespace, opts.NamePrefix, opts.Continue = notNS, prefix, q.Get("listOptions.continue")
	opts.Limit = ArchivePageMax
	if l := q.Get("listOptions.limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 {
			return opts, errors.New("listOptions.limit must be a non-negative integer")
		}
		if n > 0 && n < ArchivePageMax {
			opts.Limit = n
		}
	}
	if nameMatch != nil || labels != nil || !minStart.IsZero() || !maxStart.IsZero() {
		opts.Match = func(wf *wfv1.Workflow) bool {
			started := wf.Status.StartedAt
			return (nameMatch == nil || nameMatch(wf.Metadata.Name)) && (labels == nil || labels(wf)) &&
				(minStart.IsZero() || started != nil && !started.Before(minStart)) &&
				(maxStart.IsZero() || started != nil && !started.After(maxStart))
		}
	}
	return opts, nil
}

// nameMatcher matches names as Argo's nameFilter says; nil matches all.
func nameMatcher(name, op string) (func(string) bool, error) {
	if name == "" {
		return nil, nil
	}
	switch op {
	case "", "Exact":
		return func(n string) bool { return n == name }, nil
	case "Contains":
		return func(n string) bool { return strings.Contains(n, name) }, nil
	case "Prefix":
		return func(n string) bool { return strings.HasPrefix(n, name) }, nil
	case "NotEquals":
		return func(n string) bool { return n != name }, nil
	}
	return nil, fmt.Errorf("nameFilter %q: use Exact, Contains, Prefix or NotEquals", op)
}

// archiveNamespace is the namespace a list of the archive asks for: the
// namespace parameter or the field selector's metadata.namespace= (Argo
// takes either; both must agree). "" is every namespace.
func archiveNamespace(r *http.Request) (string, error) {
	q := r.URL.Query()
	ns := q.Get("namespace")
	for _, term := range strings.Split(q.Get("listOptions.fieldSelector"), ",") {
		v, ok := strings.CutPrefix(strings.TrimSpace(term), "metadata.namespace=")
		if !ok {
			continue
		}
		v = strings.TrimPrefix(v, "=")
		if ns != "" && v != ns {
			return "", fmt.Errorf("the namespace parameter (%q) and the field selector's metadata.namespace (%q) contradict each other", ns, v)
		}
		ns = v
	}
	return ns, nil
}

// listArchived serves Argo's archive list: each workflow without its
// nodes, as Argo's list gives it.
func (s *Server) listArchived(w http.ResponseWriter, r *http.Request) {
	opts, err := archiveQuery(r)
	if err != nil {
		writeError(w, codeInvalid, err.Error())
		return
	}
	if allowed := tokenNamespaces(r.Context()); len(allowed) > 0 {
		// RequireToken let the request through only for an allowed
		// namespace; this keeps a token's list there whatever else it asks.
		if len(opts.Namespaces) == 0 {
			opts.Namespaces = allowed
		}
	}
	items, next, err := s.eng.ListArchived(r.Context(), opts)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	if items == nil {
		items = []*wfv1.Workflow{}
	}
	writeJSON(w, http.StatusOK, struct {
		Metadata struct {
			Continue string `json:"continue,omitempty"`
		} `json:"metadata"`
		Items []*wfv1.Workflow `json:"items"`
	}{Metadata: struct {
		Continue string `json:"continue,omitempty"`
	}{next}, Items: items})
}

// archived reads the archived workflow of the request's uid, answering
// 404 or 403 itself: a scoped token reaches only its namespaces' entries.
func (s *Server) archived(w http.ResponseWriter, r *http.Request) (*wfv1.Workflow, bool) {
	wf, err := s.eng.GetArchived(r.Context(), r.PathValue("uid"))
	if err != nil {
		writeStoreError(w, err)
		return nil, false
	}
	if allowed := tokenNamespaces(r.Context()); len(allowed) > 0 && !slices.Contains(allowed, wf.Metadata.Namespace) {
		writeError(w, codeDenied, "this token may only act in namespaces "+strings.Join(allowed, ", "))
		return nil, false
	}
	return wf, true
}

func (s *Server) getArchived(w http.ResponseWriter, r *http.Request) {
	if wf, ok := s.archived(w, r); ok {
		writeJSON(w, http.StatusOK, wf)
	}
}

func (s *Server) deleteArchived(w http.ResponseWriter, r *http.Request) {
	wf, ok := s.archived(w, r)
	if !ok {
		return
	}
	if err := s.eng.DeleteArchived(r.Context(), wf.Metadata.UID); err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// archivedRerun is Argo's ResubmitArchivedWorkflowRequest and
// RetryArchivedWorkflowRequest: the uid is the path's.
type archivedRerun struct {
	Memoized          bool     `json:"memoized"`
	Parameters        []string `json:"parameters"`
	RestartSuccessful bool     `json:"restartSuccessful"`
	NodeFieldSelector string   `json:"nodeFieldSelector"`
}

// rerunnable reads a resubmit or retry request and the archived workflow
// it names, which a scoped token must be able to run: its locks in reach.
func (s *Server) rerunnable(w http.ResponseWriter, r *http.Request, req *archivedRerun) (*wfv1.Workflow, bool) {
	if !readJSON(w, r, "archived workflow request", req, true) {
		return nil, false
	}
	wf, ok := s.archived(w, r)
	if !ok {
		return nil, false
	}
	if err := s.archivedInReach(r.Context(), wf); err != nil {
		writeError(w, codeDenied, err.Error())
		return nil, false
	}
	return wf, true
}

// archivedInReach is workflowInReach for an archived workflow.
func (s *Server) archivedInReach(ctx context.Context, wf *wfv1.Workflow) error {
	docs := []*spec.Document{{Kind: wfv1.KindWorkflow, Name: wf.Metadata.Name, Workflow: wf}}
	if st := wf.Status.StoredWorkflowTemplateSpec; st != nil {
		docs = append(docs, &spec.Document{Kind: wfv1.KindWorkflow, Name: wf.Metadata.Name, Workflow: &wfv1.Workflow{Metadata: wf.Metadata, Spec: *st}})
	}
	return s.outOfReach(ctx, docs...)
}

func (s *Server) resubmitArchived(w http.ResponseWriter, r *http.Request) {
	var req archivedRerun
	wf, ok := s.rerunnable(w, r, &req)
	if !ok {
		return
	}
	made, err := s.eng.ResubmitArchived(r.Context(), wf.Metadata.UID, req.Parameters, req.Memoized)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, made)
}

func (s *Server) retryArchived(w http.ResponseWriter, r *http.Request) {
	var req archivedRerun
	wf, ok := s.rerunnable(w, r, &req)
	if !ok {
		return
	}
	made, err := s.eng.RetryArchived(r.Context(), wf.Metadata.UID,
		reconcile.RetryOptions{RestartSuccessful: req.RestartSuccessful, NodeFieldSelector: req.NodeFieldSelector, Parameters: req.Parameters})
	if err != nil {
		writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, made)
}

// archivedLabels serves the label keys of archived workflows, or (values)
// the values of the one label key the label selector names, as Argo
// takes it (`argo archive list-label-values -l KEY`). A scoped token
// sees its namespaces' labels only.
func (s *Server) archivedLabels(values bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var namespaces []string
		if ns := r.URL.Query().Get("namespace"); ns != "" {
			namespaces = []string{ns}
		}
		if allowed := tokenNamespaces(r.Context()); len(allowed) > 0 {
			if len(namespaces) > 0 && !slices.Contains(allowed, namespaces[0]) {
				writeError(w, codeDenied, "this token may only act in namespaces "+strings.Join(allowed, ", "))
				return
			}
			if len(namespaces) == 0 {
				namespaces = allowed
			}
		}
		key := ""
		if values {
			sel, err := spec.ParseSelector(r.URL.Query().Get("listOptions.labelSelector"), nil)
			if err != nil {
				writeError(w, codeInvalid, err.Error())
				return
			}
			if len(sel) != 1 || sel[0].Op != "exists" {
				writeError(w, codeInvalid, "listOptions.labelSelector must name one label key alone (e.g. -l team), "+
					"whose values are listed")
				return
			}
			key = sel[0].Key
		}
		items, err := s.eng.ArchivedLabels(r.Context(), key, namespaces)
		if err != nil {
			writeStoreError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string][]string{"items": items})
	}
}
