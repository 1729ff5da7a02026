package main

import (
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
)

// --allowed-host adds a name the server answers to besides its loopback
// address; any other Host is refused (DNS rebinding), as is an Origin
// that is not one of them.
func TestServerAllowedHost(t *testing.T) {
	s := startServer(t, "--db", filepath.Join(t.TempDir(), "db"), "--allowed-host", "semaflow.test")
	u, _ := url.Parse(s.url)
	for _, c := range []struct {
		host, origin string
		want         int
	}{
		{u.Host, "", 200},
		{"semaflow.test:" + u.Port(), "", 200},
		{"semaflow.test:" + u.Port(), "http://semaflow.test:" + u.Port(), 200},
		{"semaflow.test:" + u.Port(), "http://evil.test:" + u.Port(), 403},
		{"evil.test:" + u.Port(), "", 403},
	} {
		req, _ := http.NewRequest("GET", s.url+"/api/v1/workflows/default", nil)
		req.Host = c.host
		if c.origin != "" {
			req.Header.Set("Origin", c.origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("Host %s Origin %q: %d, want %d", c.host, c.origin, resp.StatusCode, c.want)
		}
	}
	s.stop(t)
}
