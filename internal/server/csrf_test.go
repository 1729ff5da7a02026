package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// rawDo sends a request with the given headers (Host sets the Host
// header) and returns the status and the response's headers.
func rawDo(t *testing.T, c *apiClient, method, path, body string, headers map[string]string) (int, http.Header, string) {
	t.Helper()
	code, h, b := send(t, http.DefaultClient, method, c.base+path, body, headers)
	return code, h, string(b)
}

// A web page cannot drive the server: not by a "simple" cross-site POST
// (text/plain, foreign Origin), nor through DNS rebinding (a foreign Host
// that resolves to loopback), nor by CORS. The argo CLI, which sends no
// Content-Type and no Origin, and same-origin JSON requests still work.
func TestAPIRefusesCrossSiteRequests(t *testing.T) {
	c := startAPI(t)
	u, _ := url.Parse(c.base)
	port := u.Port()
	wf := func(name string) string {
		return fmt.Sprintf(`{"workflow": {"metadata": {"name": %q}, "spec": {"entrypoint": "main",
		  "templates": [{"name": "main", "container": {"image": "x", "command": ["true"]}}]}}}`, name)
	}
	refused := []struct {
		what    string
		method  string
		headers map[string]string
		want    int
	}{
		{"text/plain POST from a foreign page", "POST", map[string]string{"Content-Type": "text/plain", "Origin": "http://evil.example", "Host": "evil.example:" + port}, 403},
		{"text/plain POST with a foreign Origin", "POST", map[string]string{"Content-Type": "text/plain", "Origin": "http://evil.example"}, 403},
		{"text/plain POST from the same origin", "POST", map[string]string{"Content-Type": "text/plain", "Origin": c.base}, 415},
		{"form POST", "POST", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415},
		{"JSON POST with a foreign Origin", "POST", map[string]string{"Content-Type": "application/json", "Origin": "http://evil.example"}, 403},
		{"JSON POST with a null Origin", "POST", map[string]string{"Content-Type": "application/json", "Origin": "null"}, 403},
		{"JSON POST through DNS rebinding", "POST", map[string]string{"Content-Type": "application/json", "Host": "evil.example:" + port}, 403},
		{"a write without Content-Type from a browser", "POST", map[string]string{"Origin": "http://evil.example"}, 403},
		{"a write without Content-Type from the same origin", "POST", map[string]string{"Origin": c.base}, 415},
		{"loopback name on another port", "POST", map[string]string{"Content-Type": "application/json", "Host": "localhost:1"}, 403},
	}
	for i, r := range refused {
		code, h, body := rawDo(t, c, r.method, "/api/v1/workflows/default", wf(fmt.Sprintf("refused-%d", i)), r.headers)
		if code != r.want {
			t.Errorf("%s: %d %s, want %d", r.what, code, body, r.want)
		}
		for k := range h {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("%s: answered with %s", r.what, k)
			}
		}
	}
	if code, _, body := rawDo(t, c, "GET", "/api/v1/workflows/default", "", map[string]string{"Host": "evil.example:" + port}); code != 403 {
		t.Errorf("a read through DNS rebinding: %d %s", code, body)
	}
	code, h, _ := rawDo(t, c, "OPTIONS", "/api/v1/workflows/default", "", map[string]string{"Origin": "http://evil.example",
		"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
	if code != 403 && code != 405 {
		t.Errorf("preflight: %d, want 403 or 405", code)
	}
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			t.Errorf("preflight answered with %s", k)
		}
	}
	if code, out := c.do("GET", "/api/v1/workflows/default", ""); code != 200 || len(out["items"].([]any)) != 0 {
		t.Fatalf("a refused request stored something: %d %v", code, out)
	}

	accepted := []struct {
		what    string
		headers map[string]string
	}{
		{"same-origin JSON", map[string]string{"Content-Type": "application/json; charset=utf-8", "Origin": c.base}},
		{"localhost", map[string]string{"Content-Type": "application/json", "Host": "localhost:" + port, "Origin": "http://localhost:" + port}},
		{"IPv6 loopback", map[string]string{"Content-Type": "application/json", "Host": "[::1]:" + port}},
		{"no Content-Type and no Origin (the argo CLI)", map[string]string{}},
	}
	for i, a := range accepted {
		if code, _, body := rawDo(t, c, "POST", "/api/v1/workflows/default", wf(fmt.Sprintf("ok-%d", i)), a.headers); code != 200 {
			t.Errorf("%s: %d %s", a.what, code, body)
		}
	}
	if code, _, body := rawDo(t, c, "POST", "/api/v1/configmaps/default", limits(1), map[string]string{"Content-Type": "application/yaml", "Origin": c.base}); code != 200 {
		t.Errorf("YAML ConfigMap: %d %s", code, body)
	}
	if code, _, body := rawDo(t, c, "DELETE", "/api/v1/configmaps/default/limits", "", map[string]string{"Origin": c.base}); code != 200 {
		t.Errorf("same-origin DELETE without a body: %d %s", code, body)
	}
}
