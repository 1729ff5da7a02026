package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/spec"
)

type namespacesKey struct{}

// withNamespaces records, for the handlers, the namespaces a scoped
// token may act in.
func withNamespaces(ctx context.Context, namespaces []string) context.Context {
	return context.WithValue(ctx, namespacesKey{}, namespaces)
}

// tokenNamespaces are the namespaces the request's token may act in; nil
// when it is not scoped (or no tokens are configured).
func tokenNamespaces(ctx context.Context) []string {
	ns, _ := ctx.Value(namespacesKey{}).([]string)
	return ns
}

// reachable answers 403 itself, naming the lock, when a scoped token's
// documents would take a lock (or read a semaphore's ConfigMap) in a
// namespace it may not act in. It runs before lint, so lint's checks of
// that ConfigMap say nothing about it either.
func (s *Server) reachable(w http.ResponseWriter, r *http.Request, f *spec.File) bool {
	if err := s.outOfReach(r.Context(), f.Docs...); err != nil {
		writeError(w, codeDenied, err.Error())
		return false
	}
	return true
}

// reachError refuses a scoped token a lock of another namespace (403).
type reachError struct{ msg string }

func (e *reachError) Error() string { return e.msg }

// outOfReach is the one check of what a scoped token may make a workflow
// take: every path that creates, re-runs or lets a workflow go on runs it
// (submit, submit --from, backfill, templates, cron workflows, retry,
// resubmit, resume, node set). A lock whose namespace is templated is
// refused whatever the parameters, since -p on retry or resubmit could
// point it anywhere. nil when every lock is in reach.
func (s *Server) outOfReach(ctx context.Context, docs ...*spec.Document) error {
	allowed := tokenNamespaces(ctx)
	if len(allowed) == 0 {
		return nil
	}
	scope := strings.Join(allowed, ", ")
	for _, d := range docs {
		for _, u := range spec.DocLocks(d, s.eng.Resolver()) {
			switch {
			case u.Templated:
				return &reachError{fmt.Sprintf("%s: the lock's namespace %q is templated; a token scoped to namespaces %s must name them literally", u.Field, u.Key, scope)}
			case !slices.Contains(allowed, u.Namespace):
				return &reachError{fmt.Sprintf("%s: lock %q is in namespace %q; this token may only use locks and ConfigMaps in namespaces %s", u.Field, u.Key, u.Namespace, scope)}
			}
		}
	}
	return nil
}

// workflowInReach checks a stored workflow a scoped token would re-run
// or let go on: its spec (and the templates it refers to now) and the
// template spec it stored when it started, which is what runs. A
// workflow that cannot be read passes: the action reports that itself.
func (s *Server) workflowInReach(ctx context.Context, ns, name string) error {
	if len(tokenNamespaces(ctx)) == 0 {
		return nil
	}
	wf, err := s.eng.Get(ctx, ns, name)
	if err != nil {
		return nil //nolint:nilerr // the action answers the same error
	}
	docs := []*spec.Document{{Kind: wfv1.KindWorkflow, Name: name, Workflow: wf}}
	if st := wf.Status.StoredWorkflowTemplateSpec; st != nil {
		docs = append(docs, &spec.Document{Kind: wfv1.KindWorkflow, Name: name, Workflow: &wfv1.Workflow{Metadata: wf.Metadata, Spec: *st}})
	}
	return s.outOfReach(ctx, docs...)
}

// cronInReach checks a cron workflow a scoped token would resume.
func (s *Server) cronInReach(ctx context.Context, ns, name string) error {
	if len(tokenNamespaces(ctx)) == 0 {
		return nil
	}
	var cw wfv1.CronWorkflow
	if err := s.eng.Object(ctx, wfv1.KindCronWorkflow, ns, name, &cw); err != nil {
		return nil //nolint:nilerr // the action answers the same error
	}
	return s.outOfReach(ctx, &spec.Document{Kind: wfv1.KindCronWorkflow, Name: name, Cron: &cw})
}

// inReach runs action only when the workflow is in the token's reach.
func (s *Server) inReach(action workflowAction) workflowAction {
	return func(ctx context.Context, ns, name string) (*wfv1.Workflow, error) {
		if err := s.workflowInReach(ctx, ns, name); err != nil {
			return nil, err
		}
		return action(ctx, ns, name)
	}
}
