package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

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
	allowed := tokenNamespaces(r.Context())
	if len(allowed) == 0 {
		return true
	}
	scope := strings.Join(allowed, ", ")
	for _, d := range f.Docs {
		for _, u := range spec.DocLocks(d, s.eng.Resolver()) {
			var msg string
			switch {
			case u.Templated:
				msg = fmt.Sprintf("%s: the lock's namespace %q is templated; a token scoped to namespaces %s must name them literally", u.Field, u.Key, scope)
			case !slices.Contains(allowed, u.Namespace):
				msg = fmt.Sprintf("%s: lock %q is in namespace %q; this token may only use locks and ConfigMaps in namespaces %s", u.Field, u.Key, u.Namespace, scope)
			default:
				continue
			}
			writeError(w, codeDenied, msg)
			return false
		}
	}
	return true
}
