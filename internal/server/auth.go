package server

import (
	"crypto/subtle"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/semaflow/semaflow/internal/server/ui"
)

// Token is a bearer token; Namespaces, when set, limits it to those
// namespaces (and keeps it off cluster-wide writes).
type Token struct {
	Value      string
	Namespaces []string
}

// namespacedAPIs are the path roots whose next segment is a namespace.
var namespacedAPIs = []string{"workflows", "workflow-events", "workflow-templates", "cron-workflows", "configmaps", "sync"}

// AuthOption changes how RequireToken signs browsers in.
type AuthOption func(*ui.Sessions)

// TrustForwardedProto takes a request with X-Forwarded-Proto: https as
// one that came by TLS to a proxy in front: the UI's cookie is Secure.
// Only for a server that a TLS proxy alone can reach.
func TrustForwardedProto(trust bool) AuthOption {
	return func(s *ui.Sessions) { s.TrustForwardedProto = trust }
}

// RequireToken answers 401 unless the request carries one of the tokens,
// and 403 when a token scoped to namespaces reaches outside them. The
// web UI's cookie holds a session that stands for its token, but a write
// it signs in needs the UI's CSRF token too. The UI's own pages pass
// without a token: they hold no data and send the browser to log in. An
// address that keeps presenting wrong tokens waits (429) before its next.
func RequireToken(tokens []Token, next http.Handler, opts ...AuthOption) http.Handler {
	check := func(v string) ([]string, bool) {
		if t := find(tokens, v); t != nil {
			return t.Namespaces, true
		}
		return nil, false
	}
	sessions := ui.NewSessions()
	for _, o := range opts {
		o(sessions)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var tok *Token
		if bearer, presented := bearerToken(r); presented {
			if wait := sessions.Logins.Wait(r); wait > 0 {
				writeTooMany(w, wait)
				return
			}
			if tok = find(tokens, bearer); tok == nil {
				sessions.Logins.Fail(r)
			}
		}
		fromCookie := false
		if tok == nil {
			tok, fromCookie = find(tokens, sessions.Token(r)), true
		}
		if !isAPIPath(r.URL.Path) {
			sess := &ui.Session{Check: check, Sessions: sessions}
			if tok != nil {
				sess.Token, sess.Namespaces = tok.Value, tok.Namespaces
			}
			next.ServeHTTP(w, r.WithContext(ui.WithSession(r.Context(), sess)))
			return
		}
		if tok == nil {
			writeError(w, codeUnauth, "a valid bearer token is required")
			return
		}
		if fromCookie && isWrite(r.Method) && !ui.CSRFValid(r, tok.Value) {
			writeError(w, codeDenied, "a write signed in by the web UI's cookie needs its CSRF token (header "+
				ui.CSRFHeader+"): reload the page")
			return
		}
		r = r.WithContext(withToken(r.Context(), tok.Value))
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

// writeTooMany answers 429 with Argo's body (ResourceExhausted) and when
// to try again.
func writeTooMany(w http.ResponseWriter, wait time.Duration) {
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeErrorStatus(w, http.StatusTooManyRequests, codeExhausted,
		fmt.Sprintf("too many wrong tokens from this address: try again in %d s", secs))
}

// bearerToken is the request's bearer token, and whether it presents one.
func bearerToken(r *http.Request) (string, bool) {
	// The scheme is case-insensitive (RFC 9110 §11.1); the token is not.
	scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	got = strings.TrimLeft(got, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || got == "" {
		return "", false
	}
	return got, true
}

// find is the token whose value is got; nil for none.
func find(tokens []Token, got string) *Token {
	if got == "" {
		return nil
	}
	for i := range tokens {
		if subtle.ConstantTimeCompare([]byte(got), []byte(tokens[i].Value)) == 1 {
			return &tokens[i]
		}
	}
	return nil
}

// isAPIPath says whether a path is the API's or the metrics', which
// need a token, rather than one of the web UI's pages.
func isAPIPath(p string) bool {
	if _, _, artifact := artifactNamespace(p); artifact {
		return true
	}
	return strings.HasPrefix(p, "/api/") || p == "/metrics" || strings.HasPrefix(p, "/oauth2/") || strings.HasPrefix(p, "/upload-artifacts/")
}

// requestNamespace finds the namespace a request acts in ("" for
// cluster-wide requests, which scoped tokens may not make; sync-status
// names it in ?namespace=), or reports
// open for the reads every token may make: version, info, cluster
// templates and nodes (whose handler keeps to the token's namespaces).
func requestNamespace(r *http.Request) (ns string, open bool) {
	if ns, open, artifact := artifactNamespace(r.URL.Path); artifact {
		return ns, open
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/v1/"), "/")
	if len(parts) >= 2 && slices.Contains(namespacedAPIs, parts[0]) {
		return parts[1], false
	}
	switch parts[0] {
	case "sync-status", "sync-events", "sync-history":
		// Its namespace is a query parameter; the handler keeps to it.
		return r.URL.Query().Get("namespace"), false
	case "archived-workflows":
		if len(parts) >= 2 && parts[1] != "" {
			// By UID: the handler checks the entry's namespace.
			return "", true
		}
		ns, _ := archiveNamespace(r)
		return ns, false
	case "archived-workflows-label-keys", "archived-workflows-label-values":
		// The handler keeps to the token's namespaces.
		return "", r.Method == http.MethodGet
	case "version", "info", "cluster-workflow-templates", "nodes":
		return "", r.Method == http.MethodGet
	}
	return "", false
}
