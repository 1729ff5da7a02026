package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// A token scoped to namespaces may read locks only with ?namespace=:
// sync get sends its lock's namespace, sync list sends -n's (hostile 19
// #10); a -n that is not the lock's namespace is refused.
func TestSyncShowSendsTheNamespace(t *testing.T) {
	var mu sync.Mutex
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.Query().Get("namespace"))
		mu.Unlock()
		if r.URL.Query().Get("namespace") == "" {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"code":7,"message":"this token may only act in namespaces team-a"}`))
			return
		}
		_, _ = w.Write([]byte(`{"items":[{"lock":"team-a/Mutex/x","limit":1}]}`))
	}))
	defer srv.Close()
	r := &remote{server: srv.URL, getenv: func(string) string { return "" }}
	ctx := context.Background()
	var out bytes.Buffer
	if err := syncShow(ctx, &out, "", r, "team-a/Mutex/x", "", ""); err != nil {
		t.Fatalf("sync get team-a/Mutex/x: %v", err)
	}
	if err := syncShow(ctx, &out, "", r, "", "team-a", ""); err != nil {
		t.Fatalf("sync list -n team-a: %v", err)
	}
	err := syncShow(ctx, &out, "", r, "", "", "")
	if err == nil || !strings.Contains(err.Error(), "-n") {
		t.Fatalf("sync list with a scoped token and no -n: %v; want a hint to give -n", err)
	}
	if err := syncShow(ctx, &out, "", r, "team-a/Mutex/x", "team-b", ""); err == nil {
		t.Fatal("sync get team-a/Mutex/x -n team-b was accepted")
	}
	if got := strings.Join(queries[:2], ","); got != "team-a,team-a" {
		t.Fatalf("namespaces sent: %q", got)
	}
}
