package server_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/server"
)

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)">`)

// The web UI signs in with a token kept in an HttpOnly cookie; that
// cookie then stands for the token on the API, with the token's
// namespaces, and every write it carries needs the page's CSRF token.
func TestUICookieLoginScopesAndNeedsCSRF(t *testing.T) {
	tokens := []server.Token{{Value: "tok-all-0123456789"}, {Value: "tok-a-0123456789", Namespaces: []string{"a"}}}
	_, ts := serve(t, func(e *engine.Engine) http.Handler { return server.RequireToken(tokens, server.New(e).Handler()) })
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	json := map[string]string{"Content-Type": "application/json"}

	code, h, _ := send(t, noRedirect, "GET", ts.URL+"/", "", nil)
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login") {
		t.Fatalf("GET / without a cookie: %d Location %q, want 303 to /login", code, h.Get("Location"))
	}
	if code, _, body := send(t, noRedirect, "GET", ts.URL+"/login", "", nil); code != 200 || !strings.Contains(string(body), "token") {
		t.Fatalf("GET /login: %d %s", code, body)
	}
	if code, _, body := send(t, noRedirect, "POST", ts.URL+"/login", `{"token": "wrong"}`, json); code != http.StatusUnauthorized {
		t.Fatalf("login with a wrong token: %d %s", code, body)
	}
	code, h, body := send(t, noRedirect, "POST", ts.URL+"/login", `{"token": "tok-a-0123456789"}`, json)
	if code != 200 {
		t.Fatalf("login: %d %s", code, body)
	}
	set := h.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie %q lacks %s", set, want)
		}
	}
	if strings.Contains(set, "Secure") || strings.Contains(set, "tok-a-0123456789") && !strings.Contains(set, "=") {
		t.Errorf("Set-Cookie %q on plain HTTP", set)
	}
	cookie := strings.SplitN(set, ";", 2)[0]
	withCookie := func(extra map[string]string) map[string]string {
		m := map[string]string{"Cookie": cookie}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}

	code, _, page := send(t, noRedirect, "GET", ts.URL+"/", "", withCookie(nil))
	if code != 200 {
		t.Fatalf("GET / with the cookie: %d %s", code, page)
	}
	m := csrfMeta.FindSubmatch(page)
	if m == nil || len(m[1]) < 32 {
		t.Fatalf("the page carries no CSRF token: %s", page)
	}
	csrf := string(m[1])

	if code, _, body := send(t, noRedirect, "GET", ts.URL+"/api/v1/workflows/a", "", withCookie(nil)); code != 200 {
		t.Fatalf("read in the token's namespace with the cookie: %d %s", code, body)
	}
	if code, _, body := send(t, noRedirect, "GET", ts.URL+"/api/v1/workflows/b", "", withCookie(nil)); code != 403 {
		t.Fatalf("read outside the token's namespaces with the cookie: %d %s", code, body)
	}
	cm := `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "limits"}, "data": {"k": "1"}}`
	if code, _, body := send(t, noRedirect, "POST", ts.URL+"/api/v1/configmaps/a", cm, withCookie(json)); code != 403 || !strings.Contains(string(body), "CSRF") {
		t.Fatalf("a write with the cookie but no CSRF token: %d %s", code, body)
	}
	if code, _, body := send(t, noRedirect, "POST", ts.URL+"/api/v1/configmaps/a", cm, withCookie(map[string]string{
		"Content-Type": "application/json", "X-CSRF-Token": strings.Repeat("0", len(csrf))})); code != 403 {
		t.Fatalf("a write with the cookie and a wrong CSRF token: %d %s", code, body)
	}
	if code, _, body := send(t, noRedirect, "POST", ts.URL+"/api/v1/configmaps/a", cm, withCookie(map[string]string{
		"Content-Type": "application/json", "X-CSRF-Token": csrf})); code != 200 {
		t.Fatalf("a write with the cookie and its CSRF token: %d %s", code, body)
	}
	if code, _, body := send(t, noRedirect, "POST", ts.URL+"/api/v1/configmaps/b", cm, withCookie(map[string]string{
		"Content-Type": "application/json", "X-CSRF-Token": csrf})); code != 403 {
		t.Fatalf("a write outside the token's namespaces: %d %s", code, body)
	}
	// A bearer token needs no CSRF token: no browser sends it on its own.
	if code, _, body := send(t, noRedirect, "GET", ts.URL+"/api/v1/workflows/", "", map[string]string{"Authorization": "Bearer tok-all-0123456789"}); code != 200 {
		t.Fatalf("bearer read: %d %s", code, body)
	}
	// A bad cookie is no login.
	if code, _, _ := send(t, noRedirect, "GET", ts.URL+"/api/v1/workflows/a", "", map[string]string{"Cookie": "semaflow_token=bm9wZQ"}); code != 401 {
		t.Fatalf("a forged cookie: %d", code)
	}
}

// Without tokens (loopback) the UI needs no login; the API's routes and
// its JSON answers to unknown paths are unchanged by the pages at /.
func TestUIServedBesideTheAPI(t *testing.T) {
	c := startAPI(t)
	code, h, body := rawDo(t, c, "GET", "/", "", nil)
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s %s", code, h.Get("Content-Type"), body)
	}
	for _, want := range []string{"Workflows", "Locks", "Cron workflows", "Templates"} {
		if !strings.Contains(body, want) {
			t.Errorf("GET / lacks %q", want)
		}
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	for _, p := range []string{"/locks", "/workflows", "/cron-workflows", "/templates", "/static/app.js", "/static/app.css"} {
		if code, _, body := rawDo(t, c, "GET", p, "", nil); code != 200 {
			t.Errorf("GET %s: %d %s", p, code, body)
		}
	}
	if code, h, body := rawDo(t, c, "GET", "/api/v1/nothing-here", "", nil); code != 501 || h.Get("Content-Type") != "application/json" {
		t.Errorf("GET an unknown API path: %d %s %s", code, h.Get("Content-Type"), body)
	}
	if code, _, _ := rawDo(t, c, "GET", "/metrics", "", nil); code != 200 {
		t.Errorf("GET /metrics: %d", code)
	}
	if code, _, body := rawDo(t, c, "GET", "/api/v1/version", "", nil); code != 200 || !strings.Contains(body, "version") {
		t.Errorf("GET /api/v1/version: %d %s", code, body)
	}
}
