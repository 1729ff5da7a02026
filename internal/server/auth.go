package server

import (
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"
)

// Token is a bearer token; Namespaces, when set, limits it to those
// namespaces (and keeps it off cluster-wide writes).
type Token struct {
	Value      string
	Namespaces []string
}

// namespacedAPIs are the path roots whose next segment is a namespace.
var namespacedAPIs = []string{"workflows", "workflow-events", "workflow-templates", "cron-workflows", "configmaps", "sync"}

// RequireToken answers 401 unless the request carries one of the tokens,
// and 403 when a token scoped to namespaces reaches outside them.
func RequireToken(tokens []Token, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := match(tokens, r)
		if tok == nil {
			writeError(w, codeUnauth, "a valid bearer token is required")
			return
		}
		if len(tok.Namespaces) > 0 {
			if ns, open := requestNamespace(r); !open && !slices.Contains(tok.Namespaces, ns) {
				writeError(w, codeDenied, "this token may only act in namespaces "+strings.Join(tok.Namespaces, ", "))
				return
			}
			r = r.WithContext(withNamespaces(r.Context(), tok.Namespaces))
		}
		next.ServeHTTP(w, r)
	})
}

func match(tokens []Token, r *http.Request) *Token {
	// The scheme is case-insensitive (RFC 9110 §11.1); the token is not.
	scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	got = strings.TrimLeft(got, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || got == "" {
		return nil
	}
	for i := range tokens {
		if subtle.ConstantTimeCompare([]byte(got), []byte(tokens[i].Value)) == 1 {
			return &tokens[i]
		}
	}
	return nil
}

// requestNamespace finds the namespace a request acts in ("" for
// cluster-wide requests, which scoped tokens may not make; sync-status
// names it in ?namespace=), or reports
// open for the reads every token may make: version, info, cluster
// templates and nodes (whose handler keeps to the token's namespaces).
func requestNamespace(r *http.Request) (ns string, open bool) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/v1/"), "/")
	if len(parts) >= 2 && slices.Contains(namespacedAPIs, parts[0]) {
		return parts[1], false
	}
	switch parts[0] {
	case "sync-status", "sync-events", "sync-history":
		// Its namespace is a query parameter; the handler keeps to it.
		return r.URL.Query().Get("namespace"), false
	case "version", "info", "cluster-workflow-templates", "nodes":
		return "", r.Method == http.MethodGet
	}
	return "", false
}
