package server_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/server"
)

// uiLogin signs in to base with token and answers the Set-Cookie header.
func uiLogin(t *testing.T, base, token string) string {
	t.Helper()
	code, h, body := send(t, http.DefaultClient, "POST", base+"/login", `{"token": "`+token+`"}`, map[string]string{"Content-Type": "application/json"})
	if code != 200 {
		t.Fatalf("login to %s: %d %s", base, code, body)
	}
	return h.Get("Set-Cookie")
}

func port(t *testing.T, base string) string {
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

// The web UI's cookie holds a session id, not the token: named for the
// server's port, meaningless to another server, ended by logout; and
// every cookie of the name is read, not only the first.
func TestUICookieHoldsASessionNotTheToken(t *testing.T) {
	const tok = "tok-all-0123456789"
	tokens := []server.Token{{Value: tok}}
	handler := func(e *engine.Engine) http.Handler { return server.RequireToken(tokens, server.New(e).Handler()) }
	_, ts := serve(t, handler)
	_, other := serve(t, handler)

	set := uiLogin(t, ts.URL, tok)
	cookie := strings.SplitN(set, ";", 2)[0]
	name, value, _ := strings.Cut(cookie, "=")
	if want := "semaflow_" + port(t, ts.URL); name != want {
		t.Errorf("cookie name %q, want %q (one per port)", name, want)
	}
	if strings.Contains(value, tok) || strings.Contains(value, base64.RawURLEncoding.EncodeToString([]byte(tok))) || len(value) < 32 {
		t.Fatalf("the cookie holds the token: %s", set)
	}
	read := func(base, cookies string) int {
		code, _, _ := send(t, http.DefaultClient, "GET", base+"/api/v1/workflows/default", "", map[string]string{"Cookie": cookies})
		return code
	}
	if code := read(ts.URL, cookie); code != 200 {
		t.Fatalf("read with the session cookie: %d", code)
	}
	// A planted cookie of the same name, sent first, does not hide it.
	if code := read(ts.URL, name+"=planted; "+cookie); code != 200 {
		t.Errorf("read with a planted cookie before the session's: %d", code)
	}
	// The token itself, as the old cookie held it, is no session.
	if code := read(ts.URL, name+"="+base64.RawURLEncoding.EncodeToString([]byte(tok))); code != 401 {
		t.Errorf("a cookie holding the token: %d, want 401", code)
	}
	// Another server on the host gets the cookie too, but cannot use it,
	// under its own name or its port's.
	if code := read(other.URL, cookie+"; semaflow_"+port(t, other.URL)+"="+value); code != 401 {
		t.Errorf("another server took this one's session: %d, want 401", code)
	}
	otherSet := uiLogin(t, other.URL, tok)
	if strings.SplitN(otherSet, "=", 2)[0] == name {
		t.Errorf("two servers on one host share the cookie name %q", name)
	}

	// Logout ends the session: replaying the cookie then fails.
	code, _, page := send(t, http.DefaultClient, "GET", ts.URL+"/", "", map[string]string{"Cookie": cookie})
	m := csrfMeta.FindSubmatch(page)
	if code != 200 || m == nil {
		t.Fatalf("GET / signed in: %d", code)
	}
	code, h, body := send(t, http.DefaultClient, "POST", ts.URL+"/logout", `{}`, map[string]string{
		"Cookie": cookie, "Content-Type": "application/json", "X-CSRF-Token": string(m[1])})
	if code != 200 || !strings.Contains(h.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout: %d %s %s", code, h.Get("Set-Cookie"), body)
	}
	if code := read(ts.URL, cookie); code != 401 {
		t.Errorf("the session cookie after logout: %d, want 401", code)
	}
}

// Guessing tokens is slowed per client address, by login and by bearer
// alike, and while it waits even the right token is refused (429).
func TestWrongTokensBackOff(t *testing.T) {
	const tok = "tok-all-0123456789"
	_, ts := serve(t, func(e *engine.Engine) http.Handler {
		return server.RequireToken([]server.Token{{Value: tok}}, server.New(e).Handler())
	})
	js := map[string]string{"Content-Type": "application/json"}
	var last int
	for i := range 12 {
		if i%2 == 0 {
			last, _, _ = send(t, http.DefaultClient, "POST", ts.URL+"/login", `{"token": "guess-`+string(rune('a'+i))+`"}`, js)
		} else {
			last, _, _ = send(t, http.DefaultClient, "GET", ts.URL+"/api/v1/workflows/default", "", map[string]string{"Authorization": "Bearer guess"})
		}
		if last == 429 {
			break
		}
	}
	if last != 429 {
		t.Fatalf("12 wrong tokens from one address: the last answered %d, want 429", last)
	}
	code, h, body := send(t, http.DefaultClient, "POST", ts.URL+"/login", `{"token": "`+tok+`"}`, js)
	if code != 429 || h.Get("Retry-After") == "" {
		t.Errorf("the right token while backing off: %d Retry-After %q %s, want 429", code, h.Get("Retry-After"), body)
	}
	code, _, body = send(t, http.DefaultClient, "GET", ts.URL+"/api/v1/workflows/default", "", map[string]string{"Authorization": "Bearer " + tok})
	if code != 429 || !strings.Contains(string(body), `"code":8`) {
		t.Errorf("the right bearer token while backing off: %d %s, want 429 with Argo's body", code, body)
	}
}
