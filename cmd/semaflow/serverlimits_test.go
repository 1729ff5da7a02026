package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// `server --max-connections` caps open connections (idle ones make room,
// with a log line), and `--trust-forwarded-proto` makes the UI's session
// cookie Secure (__Host-) behind a TLS proxy.
func TestServerConnectionCapAndForwardedProto(t *testing.T) {
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	const tok = "admin-token-0123456789"
	if err := os.WriteFile(tokens, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	p := startServerTo(t, stderr, "--db", filepath.Join(dir, "db"), "--auth-token-file", tokens,
		"--max-connections", "4", "--trust-forwarded-proto")
	u, _ := url.Parse(p.url)

	req, _ := http.NewRequest("POST", p.url+"/login", strings.NewReader(`{"token": "`+tok+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	set := resp.Header.Get("Set-Cookie")
	if resp.StatusCode != 200 || !strings.HasPrefix(set, "__Host-semaflow_"+u.Port()+"=") || !strings.Contains(set, "Secure") {
		t.Errorf("login behind a TLS proxy: %d Set-Cookie %q, want a Secure __Host-semaflow_%s cookie", resp.StatusCode, set, u.Port())
	}

	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for range 8 {
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		fmt.Fprintf(c, "GET /api/v1/version HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", u.Host, tok)
		r, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		_ = r.Body.Close()
	}
	closed := 0
	for _, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		_, err := c.Read(make([]byte, 1))
		var ne net.Error
		if err != nil && (!errors.As(err, &ne) || !ne.Timeout()) {
			closed++
		}
	}
	if closed < 4 {
		t.Errorf("8 idle connections with --max-connections 4: %d closed, want at least 4", closed)
	}
	if !strings.Contains(stderr.String(), "connection cap reached") {
		t.Errorf("no log line about the cap: %s", stderr.String())
	}
}
