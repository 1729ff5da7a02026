package repos

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// writeSecret lays out a secret as --secrets-dir wants it:
// DIR/NAMESPACE/NAME/KEY, the key's bytes as the file.
func writeSecret(t *testing.T, dir, ns, name, key, value string) {
	t.Helper()
	p := filepath.Join(dir, ns, name)
	if err := os.MkdirAll(p, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p, key), []byte(value), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestDirSecretsAreNamespaced(t *testing.T) {
	dir := t.TempDir()
	writeSecret(t, dir, "team-a", "s3cred", "accesskey", "AKteama")
	s := DirSecrets(dir)
	if v, err := s("team-a", "s3cred", "accesskey"); err != nil || v != "AKteama" {
		t.Fatalf("team-a's own secret = %q, %v", v, err)
	}
	_, err := s("team-b", "s3cred", "accesskey")
	if !errors.Is(err, ErrNoSecret) || !strings.Contains(err.Error(), "s3cred") || !strings.Contains(err.Error(), "team-b") {
		t.Fatalf("team-b reading team-a's secret: %v, want ErrNoSecret naming the secret and namespace", err)
	}
	for _, c := range [][3]string{{"..", "team-a", "s3cred"}, {"team-a", "..", "team-a"}, {"team-a/s3cred", "accesskey", "x"},
		{"team-b", "../team-a/s3cred", "accesskey"}, {"team-b", "s3cred", "../../team-a/s3cred/accesskey"}, {"", "s3cred", "accesskey"}} {
		if v, err := s(c[0], c[1], c[2]); err == nil {
			t.Errorf("secret %q in namespace %q key %q read %q, want an error", c[1], c[0], c[2], v)
		}
	}
}

// TestHTTPBasicAuthUsesOnlyOwnNamespace: a workflow of one namespace
// cannot send another namespace's secret (nor the engine's) to a host.
func TestHTTPBasicAuthUsesOnlyOwnNamespace(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		u, p, _ := r.BasicAuth()
		_, _ = w.Write([]byte(u + ":" + p))
	}))
	defer srv.Close()
	dir := t.TempDir()
	writeSecret(t, dir, "team-a", "s3cred", "accesskey", "AKteama")
	writeSecret(t, dir, "team-a", "s3cred", "secretkey", "SKteama")
	t.Setenv("SEMAFLOW_SECRET_S3CRED_ACCESSKEY", "AKengine")
	t.Setenv("SEMAFLOW_SECRET_S3CRED_SECRETKEY", "SKengine")
	l := &Locator{Secrets: DirSecrets(dir)}
	a := &wfv1.Artifact{Name: "x", ArtifactLocation: wfv1.ArtifactLocation{HTTP: wfv1.Object{"url": srv.URL,
		"auth": map[string]any{"basicAuth": map[string]any{
			"usernameSecret": map[string]any{"name": "s3cred", "key": "accesskey"},
			"passwordSecret": map[string]any{"name": "s3cred", "key": "secretkey"}}}}}}
	dst := filepath.Join(t.TempDir(), "f")
	err := l.LoadRemote(context.Background(), "team-b", a, dst, t.TempDir())
	if !errors.Is(err, ErrNoSecret) || hits.Load() != 0 {
		t.Fatalf("team-b's basicAuth naming s3cred: %v after %d requests, want ErrNoSecret and none", err, hits.Load())
	}
	if err := l.LoadRemote(context.Background(), "team-a", a, dst, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "AKteama:SKteama" {
		t.Fatalf("team-a sent %q, want its own secret", b)
	}
}
