package server

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// DefaultMaxConns caps open connections unless HTTPOptions says
// otherwise; it is lowered to half the process's open-file limit, so the
// cap is met before the limit, where accept fails and nothing answers.
const DefaultMaxConns = 4096

// Timeouts of a connection that sends nothing: headers must arrive
// within defaultReadHeaderTimeout, and a keep-alive connection is closed
// once idle for defaultIdleTimeout. There is no read or write timeout:
// streams (logs, watches, lock events) last as long as they write, and
// Go cancels a request's context when its read deadline passes.
const (
	defaultReadHeaderTimeout = 10 * time.Second
	defaultIdleTimeout       = 90 * time.Second
)

// capLogEvery spaces the log lines saying the cap was reached.
const capLogEvery = 10 * time.Second

// HTTPOptions are the limits of the server's HTTP connections.
type HTTPOptions struct {
	Logger *slog.Logger
	// MaxConns caps the open connections (0: DefaultMaxConns).
	MaxConns int
	// IdleTimeout and ReadHeaderTimeout: 0 for the defaults.
	IdleTimeout, ReadHeaderTimeout time.Duration
}

// HTTP is the http.Server for a handler and the listener it serves.
type HTTP struct {
	Server   *http.Server
	Listener net.Listener
	// MaxConns is the connection cap in force.
	MaxConns int
}

// NewHTTP makes the http.Server that serves handler on ln, with header
// and idle timeouts and a cap on open connections: past it, a new
// connection closes the one idle (or silent since it opened) the
// longest, or, when every connection is busy, is answered 503 and
// closed. Anyone who reaches the port can open connections, token or
// not; this keeps them from taking every file descriptor.
func NewHTTP(handler http.Handler, ln net.Listener, o HTTPOptions) *HTTP {
	limit := o.MaxConns
	if limit <= 0 {
		limit = DefaultMaxConns
		if fds := openFileLimit(); fds > 0 && fds/2 < limit {
			limit = max(fds/2, 16)
		}
	}
	t := &connTracker{max: limit, log: o.Logger, conns: map[net.Conn]connInfo{}}
	srv := &http.Server{Handler: handler, ConnState: t.state,
		ReadHeaderTimeout: orDefault(o.ReadHeaderTimeout, defaultReadHeaderTimeout),
		IdleTimeout:       orDefault(o.IdleTimeout, defaultIdleTimeout)}
	return &HTTP{Server: srv, Listener: &capListener{Listener: ln, t: t}, MaxConns: limit}
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

type connInfo struct {
	state http.ConnState
	since time.Time
}

// connTracker knows every open connection and its state, from the
// server's ConnState hook, which runs for a new connection before the
// next Accept.
type connTracker struct {
	max     int
	log     *slog.Logger
	mu      sync.Mutex
	conns   map[net.Conn]connInfo
	lastLog time.Time
}

func (t *connTracker) state(c net.Conn, s http.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch s {
	case http.StateClosed, http.StateHijacked:
		delete(t.conns, c)
	default:
		t.conns[c] = connInfo{state: s, since: time.Now()}
	}
}

// admit says whether a new connection may be served, closing the idle
// one of the longest standing to make room when the cap is reached.
func (t *connTracker) admit() bool {
	now := time.Now()
	t.mu.Lock()
	if len(t.conns) < t.max {
		t.mu.Unlock()
		return true
	}
	// The connection idle the longest, else the one silent the longest
	// since it opened; one in a request (a stream) is never taken.
	var victim net.Conn
	var best connInfo
	for c, info := range t.conns {
		if info.state == http.StateActive {
			continue
		}
		better := victim == nil ||
			(info.state == http.StateIdle && best.state != http.StateIdle) ||
			(info.state == best.state && info.since.Before(best.since))
		if better {
			victim, best = c, info
		}
	}
	if victim != nil {
		delete(t.conns, victim)
	}
	logNow := now.Sub(t.lastLog) >= capLogEvery
	if logNow {
		t.lastLog = now
	}
	t.mu.Unlock()
	if logNow && t.log != nil {
		if victim != nil {
			t.log.Warn(fmt.Sprintf("connection cap reached: %d connections open; closing the one idle the longest for each new one (--max-connections)", t.max))
		} else {
			t.log.Warn(fmt.Sprintf("connection cap reached: %d connections open, all in requests; refusing new ones with 503 until some close (--max-connections)", t.max))
		}
	}
	if victim == nil {
		return false
	}
	_ = victim.Close()
	return true
}

// capListener admits connections under the tracker's cap.
type capListener struct {
	net.Listener
	t *connTracker
}

// refusal is the answer to a connection past the cap, as Argo's error
// body (Unavailable).
var refusal = func() []byte {
	const msg = `{"code":14,"error":"the server has too many open connections: try again","message":"the server has too many open connections: try again"}`
	return fmt.Appendf(nil, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"+
		"Connection: close\r\nContent-Length: %d\r\n\r\n%s", len(msg), msg)
}()

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.t.admit() {
			return c, nil
		}
		// A fresh socket's send buffer takes this whole; the deadline
		// keeps a stuck one from holding up Accept.
		_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		_, _ = c.Write(refusal)
		_ = c.Close()
	}
}
