package ui

import "testing"

// After login the browser goes back where it came from, but only to a
// path of this server: never to another host, however the path is spelt.
func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/workflows?namespace=a": "/workflows?namespace=a",
		"/locks":                 "/locks",
		"":                       "/",
		"//evil.example/":        "/",
		"/\\evil.example":        "/",
		"/\t/evil.example":       "/",
		"/\n/evil.example":       "/",
		"https://evil.example/":  "/",
		"javascript:alert(1)":    "/",
		"workflows":              "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
