//go:build ignore

// record is the reverse proxy that recorded v4.1.2.jsonl: it passes each
// request to a semaflow server and appends what the argo CLI sent (method,
// path and query, Accept header, body), the status, the Warning header and the answer
// semaflow gave, one JSON object a line, to the file named by -out. The
// file -step holds the current step's name on its first line and the
// command run on its second (the recording script rewrites it between
// commands). Bodies over 4 KB are cut (the 10 MB parameter file); answers
// over 32 KB are cut at a line end (long watch streams).
//
//	go run record.go -listen 127.0.0.1:2747 -to http://127.0.0.1:2746 -out v4.1.2.jsonl -step /tmp/step
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
)

const (
	maxBody   = 4 << 10
	maxAnswer = 32 << 10
)

type entry struct {
	Step      string `json:"step"`
	Cmd       string `json:"cmd"`
	Method    string `json:"method"`
	Path      string `json:"path"`
	Accept    string `json:"accept,omitempty"`
	Body      string `json:"body,omitempty"`
	Status    int    `json:"status"`
	Warning   string `json:"warning,omitempty"`
	Answer    string `json:"answer,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
}

func main() {
	listen := flag.String("listen", "127.0.0.1:2747", "address to listen on")
	to := flag.String("to", "http://127.0.0.1:2746", "semaflow server")
	out := flag.String("out", "requests.jsonl", "file to append to")
	stepFile := flag.String("step", "/tmp/step", "file holding the current step's name and command")
	flag.Parse()
	target, err := url.Parse(*to)
	if err != nil {
		log.Fatal(err)
	}
	f, err := os.OpenFile(*out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		log.Fatal(err)
	}
	var mu sync.Mutex
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &recorder{ResponseWriter: w, status: 200}
		step, _ := os.ReadFile(*stepFile)
		name, cmd, _ := strings.Cut(strings.TrimSpace(string(step)), "\n")
		e := entry{Step: name, Cmd: cmd, Method: r.Method, Path: r.URL.RequestURI(), Accept: r.Header.Get("Accept"), Body: string(body)}
		if len(e.Body) > maxBody {
			e.Body = e.Body[:maxBody] + "...(truncated)"
		}
		// The proxy panics with http.ErrAbortHandler when the CLI hangs up
		// on a stream (wait, watch): the entry is written all the same.
		defer func() {
			write(f, &mu, e, rec)
			if p := recover(); p != nil {
				panic(p)
			}
		}()
		proxy.ServeHTTP(rec, r)
	})
	log.Fatal(http.ListenAndServe(*listen, nil))
}

// write appends e, with what rec kept of the answer, to f.
func write(f *os.File, mu *sync.Mutex, e entry, rec *recorder) {
	e.Status = rec.status
	e.Warning = rec.Header().Get("Warning")
	e.Answer = rec.answer.String()
	e.Truncated = rec.cut
	if e.Truncated {
		if i := strings.LastIndexByte(e.Answer, '\n'); i >= 0 {
			e.Answer = e.Answer[:i+1]
		}
	}
	b, _ := json.Marshal(e)
	mu.Lock()
	_, _ = f.Write(append(b, '\n'))
	mu.Unlock()
}

// recorder keeps the status and the first maxAnswer bytes of an answer.
type recorder struct {
	http.ResponseWriter
	status int
	answer bytes.Buffer
	cut    bool
}

func (s *recorder) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }

func (s *recorder) Write(b []byte) (int, error) {
	if room := maxAnswer - s.answer.Len(); room > 0 {
		s.answer.Write(b[:min(room, len(b))])
	}
	if s.answer.Len() >= maxAnswer {
		s.cut = true
	}
	return s.ResponseWriter.Write(b)
}

func (s *recorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
