package server

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
)

// Streams (watches, followed logs, lock events) hold a connection and a
// goroutine for as long as the client stays: they are capped in all and
// per token, so one token cannot take them all.
const (
	DefaultMaxStreams         = 2048
	DefaultMaxStreamsPerToken = 256
)

// streamRetryAfter is the Retry-After, in seconds, of a refused stream.
const streamRetryAfter = 5

type streamCaps struct {
	mu              sync.Mutex
	total, perToken int
	open            int
	byToken         map[string]int
}

func newStreamCaps() *streamCaps {
	return &streamCaps{total: DefaultMaxStreams, perToken: DefaultMaxStreamsPerToken, byToken: map[string]int{}}
}

// SetStreamLimits caps the open streams in all and per token (0 keeps a
// cap as it is).
func (s *Server) SetStreamLimits(total, perToken int) {
	s.streams.mu.Lock()
	defer s.streams.mu.Unlock()
	if total > 0 {
		s.streams.total = total
	}
	if perToken > 0 {
		s.streams.perToken = perToken
	}
}

// acquire counts a new stream of r's token, or answers why not (the
// caller answers 429); release ends it.
func (c *streamCaps) acquire(ctx context.Context) (release func(), refused string) {
	tok, tokened := ctx.Value(tokenKey{}).(string)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.open >= c.total:
		return nil, fmt.Sprintf("the server has %d streams (watches, followed logs, lock events) open, its cap: try again later", c.total)
	case tokened && c.byToken[tok] >= c.perToken:
		return nil, fmt.Sprintf("this token has %d streams (watches, followed logs, lock events) open, its cap: close some pages or watches and try again", c.perToken)
	}
	c.open++
	if tokened {
		c.byToken[tok]++
	}
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.open--
		if tokened {
			if c.byToken[tok]--; c.byToken[tok] <= 0 {
				delete(c.byToken, tok)
			}
		}
	}, ""
}

type tokenKey struct{}

// withToken records which token a request carries, for per-token caps.
func withToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, tokenKey{}, token)
}

// writeStreamRefused answers 429 with Argo's body (ResourceExhausted).
func writeStreamRefused(w http.ResponseWriter, msg string) {
	w.Header().Set("Retry-After", strconv.Itoa(streamRetryAfter))
	writeErrorStatus(w, http.StatusTooManyRequests, codeExhausted, msg)
}
