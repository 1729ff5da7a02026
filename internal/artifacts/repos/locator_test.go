package repos

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/artifacts"
	"github.com/semaflow/semaflow/internal/testkit/weed"
)

func TestPlaceAsArgo(t *testing.T) {
	s3repo := &wfv1.ArtifactRepositoryRefStatus{ArtifactRepository: &wfv1.ArtifactRepository{S3: &wfv1.S3ArtifactRepository{
		S3Artifact: wfv1.S3Artifact{Endpoint: "e:1", Bucket: "repo-bucket"}}}}
	local := &wfv1.ArtifactRepositoryRefStatus{Default: true}
	cases := []struct {
		name      string
		repo      *wfv1.ArtifactRepositoryRefStatus
		own       *wfv1.S3Artifact
		key, want string // want: bucket/key, or /key for the engine's repository
	}{
		{"default repository, default key", local, nil, "wf/pod/a.tgz", "/wf/pod/a.tgz"},
		{"default repository, own key", local, &wfv1.S3Artifact{Key: "k.txt"}, "wf/pod/a.tgz", "/k.txt"},
		{"s3 repository, default key", s3repo, nil, "wf/pod/a.tgz", "repo-bucket/wf/pod/a.tgz"},
		{"s3 repository, key-only", s3repo, &wfv1.S3Artifact{Key: "k.txt"}, "d", "repo-bucket/k.txt"},
		{"own bucket wins", s3repo, &wfv1.S3Artifact{Bucket: "mine", Key: "k"}, "d", "mine/k"},
	}
	for _, c := range cases {
		loc := Place(c.repo, &wfv1.Artifact{Name: "a", ArtifactLocation: wfv1.ArtifactLocation{S3: c.own}}, c.key)
		if got := loc.Bucket + "/" + loc.Key; got != c.want {
			t.Errorf("%s: placed at %s, want %s", c.name, got, c.want)
		}
	}
}

func TestOpenS3WithDirSecretsAgainstWeed(t *testing.T) {
	w := weed.Start(t)
	dir := t.TempDir()
	writeSecret(t, dir, "ns", "my-minio-cred", "accesskey", w.AccessKey)
	writeSecret(t, dir, "ns", "my-minio-cred", "secretkey", w.SecretKey)
	l := &Locator{Secrets: DirSecrets(dir)}
	insecure := true
	loc := &wfv1.S3Artifact{Endpoint: w.Endpoint, Bucket: w.Bucket, Insecure: &insecure, Key: "x/y.txt",
		AccessKeySecret: &wfv1.SecretKeySelector{Name: "my-minio-cred", Key: "accesskey"},
		SecretKeySecret: &wfv1.SecretKeySelector{Name: "my-minio-cred", Key: "secretkey"}}
	d, key, err := l.Open("ns", loc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	src := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(src, []byte("via secrets"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.Save(ctx, key, src); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Stat(ctx, key); err != nil {
		t.Fatal(err)
	}
	missing := *loc
	missing.SecretKeySecret = &wfv1.SecretKeySelector{Name: "other", Key: "secretkey"}
	_, _, err = l.Open("ns", &missing)
	if !errors.Is(err, ErrNoSecret) || !strings.Contains(err.Error(), filepath.Join(dir, "ns", "other", "secretkey")) {
		t.Fatalf("a missing secret: %v, want ErrNoSecret naming the file", err)
	}
	if _, _, err := l.Open("other-ns", loc); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("another namespace using ns's secret: %v, want ErrNoSecret", err)
	}
}

func TestOpenKeyOnlyIsLocal(t *testing.T) {
	local, err := artifacts.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	l := &Locator{Local: func() (artifacts.Driver, error) { return local, nil }}
	d, key, err := l.Open("ns", &wfv1.S3Artifact{Key: "a/b"})
	if err != nil || d != artifacts.Driver(local) || key != "_ns/ns/a/b" {
		t.Fatalf("Open(key-only) = %v, %s, %v", d, key, err)
	}
	if _, _, err := l.Open("ns", &wfv1.S3Artifact{Endpoint: "e:1", Key: "k"}); err == nil {
		t.Fatal("an endpoint without a bucket must be refused")
	}
}

func TestLoadRemoteRefusesUnknownFields(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	defer srv.Close()
	l := &Locator{}
	dst := filepath.Join(t.TempDir(), "f")
	a := &wfv1.Artifact{Name: "a", ArtifactLocation: wfv1.ArtifactLocation{HTTP: wfv1.Object{"url": srv.URL, "headers": []any{map[string]any{"name": "X", "value": "1"}}}}}
	if err := l.LoadRemote(context.Background(), "ns", a, dst, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	a.HTTP["urll"] = "typo"
	if err := l.LoadRemote(context.Background(), "ns", a, dst+"2", t.TempDir()); err == nil || !strings.Contains(err.Error(), "urll") {
		t.Fatalf("an unknown field: %v, want an error naming it", err)
	}
}

func TestWithoutSecrets(t *testing.T) {
	got := WithoutSecrets([]string{"A=1", "SEMAFLOW_SECRET_X_Y=s", "SEMAFLOW_DATA=d"})
	if strings.Join(got, ",") != "A=1,SEMAFLOW_DATA=d" {
		t.Fatalf("got %v", got)
	}
}
