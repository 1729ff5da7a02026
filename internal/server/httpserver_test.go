package server_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/server"
)

// syncBuffer is a log sink several goroutines write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startHTTP serves h as `semaflow server` does, with opts' limits.
func startHTTP(t *testing.T, h http.Handler, opts server.HTTPOptions) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := server.NewHTTP(h, ln, opts)
	go func() { _ = hs.Server.Serve(hs.Listener) }()
	t.Cleanup(func() { _ = hs.Server.Close() })
	return ln.Addr().String()
}

// idleConn sends one keep-alive request and leaves the connection open.
func idleConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "GET /ok HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return c
}

// closedByServer says whether the server has closed c.
func closedByServer(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && (!errors.As(err, &ne) || !ne.Timeout())
}

// Idle keep-alive connections cannot exhaust the server: past the cap,
// a new connection closes the one idle the longest, with a log line;
// the server keeps answering; and idle connections time out.
func TestIdleConnectionsCannotExhaustTheServer(t *testing.T) {
	var logs syncBuffer
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	addr := startHTTP(t, ok, server.HTTPOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil)), MaxConns: 10})
	var conns []net.Conn
	for range 30 {
		conns = append(conns, idleConn(t, addr))
	}
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	closed := 0
	for _, c := range conns {
		if closedByServer(c) {
			closed++
		}
	}
	if closed < 20 {
		t.Errorf("30 idle connections on a cap of 10: the server closed %d, want at least 20", closed)
	}
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://" + addr + "/ok")
	if err != nil {
		t.Fatalf("a request with the cap reached: %v", err)
	}
	_ = resp.Body.Close()
	if !strings.Contains(logs.String(), "connection cap") {
		t.Errorf("no log line says the cap was reached: %s", logs.String())
	}
}

// The server's idle and header timeouts are set, and none of them cuts
// a long stream (SSE, logs, watches): they stream for as long as they
// write.
func TestTimeoutsSpareStreams(t *testing.T) {
	stream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 15 {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			fmt.Fprintf(w, "data: %d\n\n", i)
			w.(http.Flusher).Flush()
		}
	})
	addr := startHTTP(t, stream, server.HTTPOptions{IdleTimeout: 300 * time.Millisecond, ReadHeaderTimeout: 300 * time.Millisecond, MaxConns: 2})
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil || !strings.Contains(string(body), "data: 14") {
		t.Fatalf("a 1.5 s stream with 300 ms timeouts: %v %q", err, body)
	}
	// An idle keep-alive connection is closed after IdleTimeout.
	c := idleConn(t, addr)
	defer c.Close()
	time.Sleep(600 * time.Millisecond)
	if !closedByServer(c) {
		t.Error("an idle connection outlived IdleTimeout")
	}
}

// Streams in progress are never closed to make room: past the cap, a
// new connection is refused (503) instead.
func TestConnectionCapSparesActiveStreams(t *testing.T) {
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
		_, _ = io.WriteString(w, "done")
	})
	addr := startHTTP(t, h, server.HTTPOptions{MaxConns: 2})
	type result struct {
		body string
		err  error
	}
	results := make(chan result, 2)
	for range 2 {
		resp, err := http.Get("http://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			b, err := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			results <- result{string(b), err}
		}()
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a third connection on a cap of 2, both streaming: %v %v, want 503", resp, err)
	}
	close(release)
	for range 2 {
		if r := <-results; r.err != nil || r.body != "done" {
			t.Errorf("a stream in progress was cut: %q %v", r.body, r.err)
		}
	}
}
