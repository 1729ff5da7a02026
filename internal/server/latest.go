package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/semaflow/semaflow/internal/store"
)

// latestAlias stands for the namespace's newest workflow wherever a
// workflow name goes (`argo get @latest`), as in Argo's server.
const latestAlias = "@latest"

// resolveLatest puts the name of the namespace's newest workflow in place
// of @latest, in the path of a workflow request and in the name field
// selector of a watch, before routing. Every handler, and a request
// forwarded to another node, then sees a plain name. In a namespace with
// no workflows the request is answered 404 here and goes no further.
func (s *Server) resolveLatest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const wfs, events = "/api/v1/workflows/", "/api/v1/workflow-events/"
		switch p := r.URL.Path; {
		case strings.HasPrefix(p, wfs):
			ns, rest, _ := strings.Cut(p[len(wfs):], "/")
			name, tail, _ := strings.Cut(rest, "/")
			if name != latestAlias {
				break
			}
			latest, ok := s.latestName(w, r, ns)
			if !ok {
				return
			}
			r = r.Clone(r.Context())
			r.URL.Path = wfs + ns + "/" + latest
			if tail != "" || strings.HasSuffix(rest, "/") {
				r.URL.Path += "/" + tail
			}
			r.URL.RawPath = ""
		case strings.HasPrefix(p, events):
			q := r.URL.Query()
			if q.Get("listOptions.fieldSelector") != "metadata.name="+latestAlias {
				break
			}
			latest, ok := s.latestName(w, r, strings.TrimSuffix(p[len(events):], "/"))
			if !ok {
				return
			}
			q.Set("listOptions.fieldSelector", "metadata.name="+latest)
			r = r.Clone(r.Context())
			r.URL.RawQuery = q.Encode()
		}
		next.ServeHTTP(w, r)
	})
}

// latestName finds the name of ns's newest workflow, answering the
// request itself when there is none.
func (s *Server) latestName(w http.ResponseWriter, r *http.Request, ns string) (string, bool) {
	if unescaped, err := url.PathUnescape(ns); err == nil {
		ns = unescaped
	}
	items, _, err := s.eng.List(r.Context(), store.ListOptions{Namespace: ns, Limit: 1})
	switch {
	case err != nil:
		writeStoreError(w, err)
		return "", false
	case len(items) == 0 || ns == "":
		writeError(w, codeNotFound, fmt.Sprintf("no workflows found in namespace %s for %s", ns, latestAlias))
		return "", false
	}
	return items[0].Metadata.Name, true
}
