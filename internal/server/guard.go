package server

import (
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Browsers let any page send "simple" requests (a form's content types,
// no preflight) to any address, loopback included, and DNS rebinding
// makes a page's own name resolve to the server. So the server answers
// only requests addressed to it by a name it knows, refuses foreign
// origins, takes writes only as JSON or YAML, and never grants CORS.

// writeTypes are the media types a write may carry.
var writeTypes = map[string]bool{
	"application/json": true, "application/yaml": true, "application/x-yaml": true,
	"text/yaml": true, "text/x-yaml": true,
}

// guard wraps next with the Host, Origin and Content-Type checks.
// allowed are extra host names (optionally host:port) the server is
// reached by, besides loopback and the address a connection arrived on.
func guard(allowed []string, next http.Handler) http.Handler {
	names := make([]string, 0, len(allowed))
	for _, a := range allowed {
		if a = strings.ToLower(strings.TrimSpace(a)); a != "" {
			names = append(names, a)
		}
	}
	g := &hostGuard{names: names}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.allowed(r, r.Host, "80") {
			writeError(w, codeDenied, "Host "+quoteHeader(r.Host)+" is not an address of this server: "+
				"use its listening address, or start it with --allowed-host NAME")
			return
		}
		origin := r.Header.Get("Origin")
		if origin != "" && !g.allowedOrigin(r, origin) {
			writeError(w, codeDenied, "cross-origin requests are refused (Origin "+quoteHeader(origin)+")")
			return
		}
		if r.Method == http.MethodOptions {
			// No CORS: a preflight gets no Access-Control-Allow-* headers.
			w.Header().Set("Allow", "GET, POST, PUT, DELETE")
			writeErrorStatus(w, http.StatusMethodNotAllowed, codeInvalid, "OPTIONS (CORS preflight) is not served")
			return
		}
		if isWrite(r.Method) && !writeTypeOK(r, origin) {
			writeErrorStatus(w, http.StatusUnsupportedMediaType, codeInvalid,
				"a write needs Content-Type application/json or application/yaml, not "+quoteHeader(r.Header.Get("Content-Type")))
			return
		}
		next.ServeHTTP(w, r)
	})
}

type hostGuard struct{ names []string }

func isWrite(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead:
		return false
	}
	return true
}

// writeTypeOK says whether a write's Content-Type is acceptable. A write
// without one is taken only from a client that is not a browser (no
// Origin: browsers send one with every write), such as the argo CLI,
// which sends none; and a DELETE without a body, which carries nothing to
// interpret.
func writeTypeOK(r *http.Request, origin string) bool {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return origin == "" || (r.Method == http.MethodDelete && r.ContentLength == 0)
	}
	mt, _, err := mime.ParseMediaType(ct)
	// The web UI's login form posts as a form when the page runs no
	// script; the Origin check above keeps other sites' forms out.
	if err == nil && mt == "application/x-www-form-urlencoded" && r.Method == http.MethodPost && r.URL.Path == "/login" {
		return true
	}
	return err == nil && writeTypes[mt]
}

// allowed says whether hostport (a Host header, or an Origin's host)
// names this server. defaultPort applies when it has none.
func (g *hostGuard) allowed(r *http.Request, hostport, defaultPort string) bool {
	if hostport == "" {
		return false
	}
	hostport = strings.ToLower(hostport)
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = strings.Trim(hostport, "[]"), defaultPort
	}
	for _, n := range g.names {
		if n == host || n == hostport || n == net.JoinHostPort(host, port) {
			return true
		}
	}
	local, _ := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr)
	if local == nil || port != strconv.Itoa(local.Port) {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || ip.Equal(local.IP))
}

func (g *hostGuard) allowedOrigin(r *http.Request, origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Path != "" && u.Path != "/" {
		return false // "null" and anything else that names no host
	}
	def := "80"
	switch u.Scheme {
	case "http":
	case "https":
		def = "443"
	default:
		return false
	}
	return g.allowed(r, u.Host, def)
}

// quoteHeader quotes a header value for a message, short and printable.
func quoteHeader(s string) string {
	if len(s) > 100 {
		s = s[:100] + "..."
	}
	return strconv.Quote(s)
}
