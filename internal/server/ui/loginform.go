package ui

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"
)

// loginBodyMax bounds a login request's body.
const loginBodyMax = 64 << 10

// loginToken reads the token of a login request: JSON from login.js, or
// the login form's body (method post) when the page runs no script, so
// a token never goes into a URL. The server's guard lets a form's body
// through on POST /login alone, and only from this server's own pages
// (their Origin). form says the request came from the form; ok false
// means the answer is written.
func loginToken(w http.ResponseWriter, r *http.Request) (tok string, form, ok bool) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/x-www-form-urlencoded" {
		r.Body = http.MaxBytesReader(w, r.Body, loginBodyMax)
		if err := r.ParseForm(); err != nil {
			writeMessage(w, http.StatusBadRequest, "the login form's body could not be read: "+err.Error())
			return "", true, false
		}
		// PostForm only: a token in the URL's query is never taken.
		return strings.TrimSpace(r.PostForm.Get("token")), true, true
	}
	var req struct {
		Token string `json:"token"`
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, loginBodyMax))
	if err != nil || json.Unmarshal(b, &req) != nil {
		writeMessage(w, http.StatusBadRequest, `the login request must be JSON: {"token": "..."}`)
		return "", false, false
	}
	return strings.TrimSpace(req.Token), false, true
}

// loginAgain shows the login page again (401) with why the form's token
// was refused.
func (u *UI) loginAgain(w http.ResponseWriter, r *http.Request, why string) {
	d := u.data(r, "", "Log in")
	d.Path = map[string]string{"next": safeNext(r.PostForm.Get("next")), "error": why}
	// render sets these too, but only before the status goes out.
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusUnauthorized)
	u.render(w, "login", d)
}
