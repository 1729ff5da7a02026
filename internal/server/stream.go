package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// stream writes one streaming answer the way Argo's gateway does: a JSON
// object {"result": ...} per line, or Server-Sent Events ("data: ...")
// when the client asks for text/event-stream, as Argo's UI does.
type stream struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	sse bool
}

func newStream(w http.ResponseWriter, r *http.Request) *stream {
	s := &stream{w: w, rc: http.NewResponseController(w), sse: strings.Contains(r.Header.Get("Accept"), "text/event-stream")}
	if s.sse {
		w.Header().Set("Content-Type", "text/event-stream")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_ = s.rc.Flush()
	return s
}

// send writes one result and flushes it; an error means the client left.
func (s *stream) send(result any) error {
	if err := s.put(result); err != nil {
		return err
	}
	return s.rc.Flush()
}

// flush sends what put wrote.
func (s *stream) flush() error { return s.rc.Flush() }

// put writes one result without flushing it, for many results sent
// together (a log's lines); flush sends them.
func (s *stream) put(result any) error {
	b, err := json.Marshal(struct {
		Result any `json:"result"`
	}{result})
	if err != nil {
		return err
	}
	if s.sse {
		b = append(append([]byte("data: "), b...), '\n', '\n')
	} else {
		b = append(b, '\n')
	}
	_, err = s.w.Write(b)
	return err
}

// sendEncoded writes one result already encoded as {"result": ...}
// (shared among streams: read only) and flushes it.
func (s *stream) sendEncoded(b []byte) error {
	prefix, suffix := "", "\n"
	if s.sse {
		prefix, suffix = "data: ", "\n\n"
	}
	if _, err := io.WriteString(s.w, prefix); err != nil {
		return err
	}
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	if _, err := io.WriteString(s.w, suffix); err != nil {
		return err
	}
	return s.rc.Flush()
}

// heartbeat keeps idle connections open through proxies; SSE clients
// ignore comment lines, JSON-lines clients ignore blank lines.
func (s *stream) heartbeat() error {
	line := "\n"
	if s.sse {
		line = ":\n\n"
	}
	if _, err := s.w.Write([]byte(line)); err != nil {
		return err
	}
	return s.rc.Flush()
}

// CloseStreams ends every streaming answer, now and from now on: for
// http.Server.RegisterOnShutdown, as Shutdown waits for every handler to
// return, and a watch or a followed log returns only when its client
// leaves.
func (s *Server) CloseStreams() {
	s.closingOnce.Do(func() {
		close(s.closing)
		s.closeCancel()
	})
}

// streaming gives h a request whose context also ends when the server
// begins to shut down, within the caps on open streams (429 past them).
// A handler stuck in a write to a client that reads nothing is cut off a
// moment later: its connection's write deadline passes. It starts no
// goroutine: a quiet stream costs only net/http's.
func (s *Server) streaming(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		release, refused := s.streams.acquire(r.Context())
		if refused != "" {
			writeStreamRefused(w, refused)
			return
		}
		defer release()
		ctx, cancel := context.WithCancel(r.Context())
		var finished atomic.Bool
		stop := context.AfterFunc(s.closed, func() {
			cancel()
			time.AfterFunc(streamCutoff, func() {
				if !finished.Load() {
					// Only the connection's deadline: safe beside h's writes.
					_ = http.NewResponseController(w).SetWriteDeadline(time.Now())
				}
			})
		})
		defer func() {
			finished.Store(true)
			stop()
			cancel()
		}()
		h(w, r.WithContext(ctx))
	}
}

// streamCutoff is how long a stream's handler has to end once the
// server shuts down, before its writes are made to fail.
const streamCutoff = 200 * time.Millisecond
