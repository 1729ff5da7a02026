package server

import (
	"encoding/json"
	"net/http"
	"strings"
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
	if _, err := s.w.Write(b); err != nil {
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
