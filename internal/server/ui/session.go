package ui

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// SessionTTL is how long a signed-in browser stays signed in unused;
// every request it makes starts the time again.
const SessionTTL = 12 * time.Hour

// maxSessions bounds the sessions one server keeps: at the bound, a new
// login drops the one unused the longest.
const maxSessions = 10000

// Sessions are the web UI's signed-in browsers. The cookie holds a random
// session id, never the token: browsers send a host's cookies to every
// port of it, so another program on the same host sees the id, which
// means nothing to any other server and ends with logout or SessionTTL.
// Sessions live in this server's memory: a restart signs everyone out.
type Sessions struct {
	// TrustForwardedProto takes X-Forwarded-Proto: https, from a TLS proxy
	// in front, as a secure connection: the cookie is then Secure.
	TrustForwardedProto bool
	// Logins slows down an address that keeps presenting wrong tokens.
	Logins *Backoff

	mu   sync.Mutex
	byID map[[sha256.Size]byte]*session
	now  func() time.Time
}

type session struct {
	token   string
	expires time.Time
}

// NewSessions makes an empty set of sessions.
func NewSessions() *Sessions {
	return &Sessions{Logins: NewBackoff(), byID: map[[sha256.Size]byte]*session{}, now: time.Now}
}

// key is what the map holds for a session id: its hash, so a lookup's
// timing says nothing about the ids kept.
func key(id string) [sha256.Size]byte { return sha256.Sum256([]byte(id)) }

// Token is the token of the request's session, "" for none. Every cookie
// of the name is tried, not only the first: another program on the host
// may have planted one with a longer Path, which browsers send first.
// A hit slides the session's expiry.
func (s *Sessions) Token(r *http.Request) string {
	names := cookieNames(r)
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range r.Cookies() {
		if c.Name != names[0] && c.Name != names[1] {
			continue
		}
		k := key(c.Value)
		sess := s.byID[k]
		switch {
		case sess == nil:
		case now.After(sess.expires):
			delete(s.byID, k)
		default:
			sess.expires = now.Add(SessionTTL)
			return sess.token
		}
	}
	return ""
}

// Start signs the browser in with token: a new session and its cookie.
func (s *Sessions) Start(w http.ResponseWriter, r *http.Request, token string) error {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	id := base64.RawURLEncoding.EncodeToString(b)
	now := s.now()
	s.mu.Lock()
	if len(s.byID) >= maxSessions {
		s.evict(now)
	}
	s.byID[key(id)] = &session{token: token, expires: now.Add(SessionTTL)}
	s.mu.Unlock()
	http.SetCookie(w, s.cookie(r, id, 0))
	return nil
}

// evict drops the expired sessions or, when none is, the one unused the
// longest. It runs only at the bound, so its scan is bounded by it.
func (s *Sessions) evict(now time.Time) {
	var oldest [sha256.Size]byte
	var oldestAt time.Time
	for k, sess := range s.byID {
		if now.After(sess.expires) {
			delete(s.byID, k)
			continue
		}
		if oldestAt.IsZero() || sess.expires.Before(oldestAt) {
			oldest, oldestAt = k, sess.expires
		}
	}
	if len(s.byID) >= maxSessions {
		delete(s.byID, oldest)
	}
}

// End signs the browser out: its sessions end here, whoever replays the
// cookie later, and the cookie is cleared.
func (s *Sessions) End(w http.ResponseWriter, r *http.Request) {
	names := cookieNames(r)
	s.mu.Lock()
	for _, c := range r.Cookies() {
		if c.Name == names[0] || c.Name == names[1] {
			delete(s.byID, key(c.Value))
		}
	}
	s.mu.Unlock()
	http.SetCookie(w, s.cookie(r, "", -1))
}

// cookie is the session cookie for r: HttpOnly, SameSite=Strict, and
// Secure with the __Host- prefix (no Domain, Path=/, so no other host or
// path may set or shadow it) when the browser reached the server by TLS.
func (s *Sessions) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	secure := r.TLS != nil || s.TrustForwardedProto && strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
	names := cookieNames(r)
	name := names[0]
	if secure {
		name = names[1]
	}
	return &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure}
}

// CookiePrefix starts the session cookie's name, which ends with the
// port the server listens on: browsers do not keep cookies apart by
// port, and two servers on one host must not sign each other out.
const CookiePrefix = "semaflow_"

// cookieNames are the session cookie's names for the port r arrived on:
// plain, and with the __Host- prefix used over TLS.
func cookieNames(r *http.Request) [2]string {
	name := CookiePrefix + "session"
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, port, err := net.SplitHostPort(a.String()); err == nil && port != "" {
			name = CookiePrefix + port
		}
	}
	return [2]string{name, "__Host-" + name}
}
