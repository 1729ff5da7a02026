package executor

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestHTTPPolicy(t *testing.T) {
	ip := netip.MustParseAddr
	cases := []struct {
		pol  HTTPPolicy
		host string
		addr string
		ok   bool
	}{
		{HTTPPolicy{}, "localhost", "127.0.0.1", true},
		{HTTPPolicy{DenyLocal: true}, "localhost", "127.0.0.1", false},
		{HTTPPolicy{DenyLocal: true}, "x", "::1", false},
		{HTTPPolicy{DenyLocal: true}, "x", "::ffff:127.0.0.1", false},
		{HTTPPolicy{DenyLocal: true}, "metadata", "169.254.169.254", false},
		{HTTPPolicy{DenyLocal: true}, "x", "0.0.0.0", false},
		{HTTPPolicy{DenyLocal: true}, "example.com", "93.184.216.34", true},
		{HTTPPolicy{Allow: []string{"10.0.0.0/8"}}, "x", "10.1.2.3", true},
		{HTTPPolicy{Allow: []string{"10.0.0.0/8"}}, "x", "127.0.0.1", false},
		{HTTPPolicy{Allow: []string{"127.0.0.1"}, DenyLocal: true}, "x", "127.0.0.1", true},
		{HTTPPolicy{Allow: []string{"api.example.com"}}, "API.example.com.", "1.2.3.4", true},
		{HTTPPolicy{Allow: []string{"api.example.com"}}, "evil.com", "1.2.3.4", false},
		{HTTPPolicy{Allow: []string{"*.example.com"}}, "a.b.example.com", "1.2.3.4", true},
		{HTTPPolicy{Allow: []string{"*.example.com"}}, "badexample.com", "1.2.3.4", false},
	}
	for _, c := range cases {
		err := c.pol.allows(c.host, ip(c.addr))
		if (err == nil) != c.ok {
			t.Errorf("%+v allows(%s, %s) = %v, want ok=%v", c.pol, c.host, c.addr, err, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "--http-template-allow") {
			t.Errorf("refusal %q does not name the flag", err)
		}
	}
	for _, bad := range []string{"", "a b", "10.0.0.0/99", "http://x/"} {
		if CheckHTTPAllow([]string{bad}) == nil {
			t.Errorf("CheckHTTPAllow(%q) accepted it", bad)
		}
	}
	if err := CheckHTTPAllow([]string{"10.0.0.0/8", "::1", "example.com", "*.example.com"}); err != nil {
		t.Error(err)
	}
}

func httpSpec(url string, pol HTTPPolicy) *Spec {
	return &Spec{DeadlineMessage: "deadline", HTTP: &HTTPRequest{URL: url, Timeout: 5 * time.Second, Policy: pol}}
}

// runHTTP judges the response as Argo's agent does, logs the exchange,
// and ends early on a kill.
func TestRunHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		switch r.URL.Path {
		case "/hang":
			<-r.Context().Done()
			return
		case "/teapot":
			w.WriteHeader(http.StatusTeapot)
		}
		fmt.Fprint(w, "body of "+r.URL.Path)
	}))
	defer srv.Close()
	run := func(s *Spec, kill chan string) *Result {
		dir := t.TempDir()
		res := runHTTP(dir, s, nil, kill, func() {})
		if _, err := os.Stat(filepath.Join(dir, LogFile)); err != nil {
			t.Errorf("no log: %v", err)
		}
		return res
	}
	res := run(httpSpec(srv.URL+"/ok", HTTPPolicy{}), nil)
	if res.HTTP == nil || res.HTTP.StatusCode != 200 || res.HTTP.Failure != "" || res.Stdout != "body of /ok" {
		t.Fatalf("ok: %+v %+v", res, res.HTTP)
	}
	s := httpSpec(srv.URL+"/teapot", HTTPPolicy{})
	if res = run(s, nil); res.HTTP.Failure != "received non-2xx response code: 418" {
		t.Fatalf("teapot: %+v", res.HTTP)
	}
	s.HTTP.SuccessCondition = `response.statusCode == 418 && response.headers["X-Multi"][1] == "b" && request.method == "GET"`
	if res = run(s, nil); res.HTTP.Failure != "" {
		t.Fatalf("teapot with a condition: %+v", res.HTTP)
	}
	s = httpSpec(srv.URL+"/ok", HTTPPolicy{DenyLocal: true})
	if res = run(s, nil); res.HTTP.StatusCode != 0 || !strings.Contains(res.HTTP.Failure, "127.0.0.1 is a loopback") {
		t.Fatalf("denied: %+v", res.HTTP)
	}
	kill := make(chan string, 1)
	kill <- "stopped by the test"
	if res = run(httpSpec(srv.URL+"/hang", HTTPPolicy{}), kill); res.Killed != "stopped by the test" || res.HTTP != nil {
		t.Fatalf("killed: %+v", res)
	}
	s = httpSpec(srv.URL+"/hang", HTTPPolicy{})
	s.Deadline = time.Now().Add(100 * time.Millisecond)
	if res = run(s, nil); res.Killed != "deadline" {
		t.Fatalf("deadline: %+v", res)
	}
}
