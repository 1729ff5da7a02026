package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// The auth scheme is case-insensitive (RFC 9110 §11.1): "bearer" and
// "BEARER" work as "Bearer" does; the token itself is compared exactly.
func TestBearerSchemeAnyCase(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	h := RequireToken([]Token{{Value: "0123456789abcdef"}}, ok)
	for header, want := range map[string]int{
		"Bearer 0123456789abcdef":  http.StatusNoContent,
		"bearer 0123456789abcdef":  http.StatusNoContent,
		"BEARER 0123456789abcdef":  http.StatusNoContent,
		"Bearer  0123456789abcdef": http.StatusNoContent,
		"Bearer 0123456789ABCDEF":  http.StatusUnauthorized,
		"Basic 0123456789abcdef":   http.StatusUnauthorized,
		"0123456789abcdef":         http.StatusUnauthorized,
		"Bearer":                   http.StatusUnauthorized,
		"":                         http.StatusUnauthorized,
	} {
		req := httptest.NewRequest("GET", "/api/v1/version", nil)
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Authorization %q: %d, want %d", header, rec.Code, want)
		}
	}
}
