//go:build ignore

// record is the reverse proxy that recorded the requests in this
// directory: it passes each request to a semaflow server and appends
// what the argo CLI sent (method, path and query, body) and the status it
// got, one JSON object a line, to the file named by -out, under the step
// named by the file -step (rewritten between CLI commands).
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

type entry struct {
	Step   string `json:"step"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Body   string `json:"body,omitempty"`
	Status int    `json:"status"`
}

func main() {
	listen := flag.String("listen", "127.0.0.1:2747", "address to listen on")
	to := flag.String("to", "http://127.0.0.1:2746", "semaflow server")
	out := flag.String("out", "requests.jsonl", "file to append to")
	stepFile := flag.String("step", "/tmp/step", "file holding the current step's name")
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
		rec := &statusWriter{ResponseWriter: w, status: 200}
		step, _ := os.ReadFile(*stepFile)
		e := entry{Step: strings.TrimSpace(string(step)), Method: r.Method, Path: r.URL.RequestURI(), Body: string(body)}
		if len(e.Body) > 4096 {
			e.Body = e.Body[:4096] + "...(truncated)"
		}
		proxy.ServeHTTP(rec, r)
		e.Status = rec.status
		b, _ := json.Marshal(e)
		mu.Lock()
		_, _ = f.Write(append(b, '\n'))
		mu.Unlock()
	})
	log.Fatal(http.ListenAndServe(*listen, nil))
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
