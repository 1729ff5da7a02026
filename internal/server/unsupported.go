package server

import (
	"net/http"
	"sort"
	"strings"
)

// codeUnimplemented is gRPC's Unimplemented; Argo's gateway answers it
// with 501, and the argo CLI prints "code = Unimplemented desc = <message>".
const codeUnimplemented = 12

// unsupported names the Argo API groups semaflow does not serve, by path
// prefix, with why: a user of the argo CLI reads this message instead of
// a bare 404.
var unsupported = []struct{ prefix, why string }{
	{"/api/v1/workflow-templates-archive", "semaflow has no workflow archive yet"},
	{"/upload-artifacts/", "semaflow takes no artifact uploads: an input artifact comes from its repository, http, git or raw"},
	{"/api/v1/event-sources", "event sources are Argo Events objects on Kubernetes; semaflow has none"},
	{"/api/v1/sensors", "sensors are Argo Events objects on Kubernetes; semaflow has none"},
	{"/api/v1/stream/event-sources", "event sources are Argo Events objects on Kubernetes; semaflow has none"},
	{"/api/v1/stream/sensors", "sensors are Argo Events objects on Kubernetes; semaflow has none"},
	{"/api/v1/events", "workflow event bindings need Argo Events on Kubernetes; semaflow has none"},
	{"/api/v1/workflow-event-bindings", "workflow event bindings need Argo Events on Kubernetes; semaflow has none"},
	{"/api/v1/stream/events", "Kubernetes events: semaflow runs no pods and records none; " +
		"a node's message in `argo get` says what happened to it"},
	{"/api/v1/userinfo", "semaflow has no single sign-on: a client presents a bearer token (--auth-token-file)"},
	{"/oauth2/", "semaflow has no single sign-on: a client presents a bearer token (--auth-token-file)"},
	{"/api/v1/tracking/", "semaflow does not serve Argo's UI"},
}

// unsupportedRoutes answers every path the mux does not serve: Argo's
// error body with 501 Unimplemented and why, for the groups above and
// for anything else under /api/v1; a known path asked with the wrong
// method gets 405 naming the methods it takes. Go's mux would answer
// both with a bare text 404 or 405, which the argo CLI prints as an
// internal error.
func (s *Server) unsupportedRoutes(mux *http.ServeMux) {
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		for _, u := range unsupported {
			if strings.HasPrefix(path, u.prefix) {
				writeUnimplemented(w, r.Method+" "+path+": "+u.why)
				return
			}
		}
		if allowed := allowedMethods(mux, r); len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			msg := r.Method + " " + path + ": semaflow serves this path for " + strings.Join(allowed, ", ") + " only"
			writeJSON(w, http.StatusMethodNotAllowed, apiError{Code: codeUnimplemented, Error: msg, Message: msg})
			return
		}
		msg := r.Method + " " + path + ": semaflow does not serve this part of Argo's API " +
			"(docs/argo-cli.md lists what it serves)"
		if !strings.HasPrefix(path, "/api/") {
			writeError(w, codeNotFound, r.Method+" "+path+": no such page: semaflow serves Argo's API under /api/v1 and its web UI at /")
			return
		}
		writeUnimplemented(w, msg)
	})
}

func writeUnimplemented(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusNotImplemented, apiError{Code: codeUnimplemented, Error: msg, Message: msg})
}

// allowedMethods lists the methods the mux serves r's path with, other
// than through the catch-all.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out
}
