package ui

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// CSRFHeader carries, on every write a cookie signs in, the token the
// page got from the server: a foreign page can make the browser send
// the cookie but cannot read the page to learn this value.
const CSRFHeader = "X-CSRF-Token"

// Session is what the server's token check tells the UI; the server puts
// it in the request's context. A request without one comes to a server
// that needs no token.
type Session struct {
	// Token is the valid token the request carries ("" for none).
	Token      string
	Namespaces []string
	// Check validates a token as the API does: its namespaces, or ok false.
	Check func(token string) (namespaces []string, ok bool)
	// Sessions are the server's signed-in browsers.
	Sessions *Sessions
}

type sessionKey struct{}

// WithSession records the session for the UI's handlers.
func WithSession(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// SessionFrom is the request's session; nil when the server needs no token.
func SessionFrom(ctx context.Context) *Session {
	s, _ := ctx.Value(sessionKey{}).(*Session)
	return s
}

// CSRF is the CSRF token for a signed-in token. It is derived from the
// token (not stored), so every server sharing a store accepts it and it
// changes with the token; the token is the HMAC's key, so it cannot be
// made without it.
func CSRF(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("semaflow web UI CSRF v1"))
	return hex.EncodeToString(m.Sum(nil))
}

// CSRFValid says whether r carries the CSRF token of token.
func CSRFValid(r *http.Request, token string) bool {
	got := r.Header.Get(CSRFHeader)
	return got != "" && hmac.Equal([]byte(got), []byte(CSRF(token)))
}

func (u *UI) loginPage(w http.ResponseWriter, r *http.Request) {
	sess := SessionFrom(r.Context())
	if sess == nil || sess.Token != "" {
		// No token needed, or signed in already.
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	d := u.data(r, "", "Log in")
	d.Path = map[string]string{"next": safeNext(r.URL.Query().Get("next"))}
	u.render(w, "login", d)
}

// login takes {"token": "..."} as JSON (from login.js), or the login
// form's body when scripts are off (loginToken), and sets the cookie.
func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	sess := SessionFrom(r.Context())
	if sess == nil || sess.Check == nil || sess.Sessions == nil {
		writeMessage(w, http.StatusBadRequest, "this server needs no token: open / directly")
		return
	}
	if wait := sess.Sessions.Logins.Wait(r); wait > 0 {
		secs := int(wait.Seconds()) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeMessage(w, http.StatusTooManyRequests, fmt.Sprintf("too many wrong tokens from this address: try again in %d s", secs))
		return
	}
	tok, form, ok := loginToken(w, r)
	if !ok {
		return
	}
	if _, ok := sess.Check(tok); !ok || tok == "" {
		sess.Sessions.Logins.Fail(r)
		if form {
			u.loginAgain(w, r, "that token is not one this server accepts")
			return
		}
		writeMessage(w, http.StatusUnauthorized, "that token is not one this server accepts")
		return
	}
	if err := sess.Sessions.Start(w, r, tok); err != nil {
		writeMessage(w, http.StatusInternalServerError, "starting a session failed: "+err.Error())
		return
	}
	if form {
		http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
		return
	}
	writeMessage(w, http.StatusOK, "signed in")
}

// logout ends the browser's session here and clears its cookie. Signed
// in, it needs the CSRF token as any write does.
func (u *UI) logout(w http.ResponseWriter, r *http.Request) {
	if sess := SessionFrom(r.Context()); sess != nil && sess.Token != "" && !CSRFValid(r, sess.Token) {
		writeMessage(w, http.StatusForbidden, "a write from the web UI needs its CSRF token (header "+CSRFHeader+")")
		return
	}
	if sess := SessionFrom(r.Context()); sess != nil && sess.Sessions != nil {
		sess.Sessions.End(w, r)
	}
	writeMessage(w, http.StatusOK, "signed out")
}

func writeMessage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

// safeNext keeps a redirect on this server: a path, never "//host" or a
// URL. Browsers drop tabs and newlines from URLs and read "\\" as "/",
// so a path holding any of them, or spaces, is refused whole.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsFunc(next, func(r rune) bool { return r <= ' ' || r == '\\' || r == 0x7f }) {
		return "/"
	}
	return next
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
