package s3repo

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/artifacts"
	"github.com/semaflow/semaflow/internal/testkit/weed"
)

// These tests talk to a real S3-compatible server (SeaweedFS), never a
// fake: what matters is how a real server answers minio-go.

func newDriver(t *testing.T, w *weed.Weed) *Driver {
	t.Helper()
	d, err := New(Config{Endpoint: w.Endpoint, Bucket: w.Bucket, Insecure: true, AccessKey: w.AccessKey, SecretKey: w.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestS3RoundTripAgainstWeed(t *testing.T) {
	w := weed.Start(t)
	d := newDriver(t, w)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	src := t.TempDir()
	file := filepath.Join(src, "f.tgz")
	must(t, os.WriteFile(file, []byte("hello s3"), 0o600))
	must(t, d.Save(ctx, "wf/pod/f.tgz", file))
	info, err := d.Stat(ctx, "wf/pod/f.tgz")
	if err != nil || info.Dir || info.Size != 8 {
		t.Fatalf("Stat = %+v, %v", info, err)
	}
	dst := filepath.Join(t.TempDir(), "got")
	must(t, d.Load(ctx, "/wf/pod/f.tgz", dst)) // a leading slash names the same object, as in Argo
	if b, _ := os.ReadFile(dst); string(b) != "hello s3" {
		t.Fatalf("loaded %q", b)
	}

	// A directory with archive: none is a tree of objects.
	tree := filepath.Join(src, "tree")
	must(t, os.MkdirAll(filepath.Join(tree, "a", "b"), 0o700))
	must(t, os.WriteFile(filepath.Join(tree, "top.txt"), []byte("top"), 0o600))
	must(t, os.WriteFile(filepath.Join(tree, "a", "b", "deep.txt"), []byte("deep"), 0o600))
	must(t, d.Save(ctx, "wf/pod/tree", tree))
	if info, err := d.Stat(ctx, "wf/pod/tree"); err != nil || !info.Dir || info.Size != 7 {
		t.Fatalf("Stat(tree) = %+v, %v", info, err)
	}
	out := filepath.Join(t.TempDir(), "tree")
	must(t, d.Load(ctx, "wf/pod/tree", out))
	if b, _ := os.ReadFile(filepath.Join(out, "a", "b", "deep.txt")); string(b) != "deep" {
		t.Fatalf("deep.txt = %q", b)
	}

	must(t, d.Delete(ctx, "wf/pod/tree"))
	must(t, d.Delete(ctx, "wf/pod/f.tgz"))
	must(t, d.Delete(ctx, "wf/pod/f.tgz")) // twice is harmless
	for _, k := range []string{"wf/pod/tree", "wf/pod/f.tgz"} {
		if _, err := d.Stat(ctx, k); !errors.Is(err, artifacts.ErrNotFound) {
			t.Errorf("after Delete, Stat(%s) = %v, want ErrNotFound", k, err)
		}
	}
	if err := d.Load(ctx, "no/such", filepath.Join(t.TempDir(), "x")); !errors.Is(err, artifacts.ErrNotFound) {
		t.Errorf("Load(missing) = %v, want ErrNotFound", err)
	}
}

func TestS3ErrorsName(t *testing.T) {
	w := weed.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	file := filepath.Join(t.TempDir(), "f")
	must(t, os.WriteFile(file, []byte("x"), 0o600))

	bad, err := New(Config{Endpoint: w.Endpoint, Bucket: w.Bucket, Insecure: true, AccessKey: w.AccessKey, SecretKey: "wrong"})
	must(t, err)
	if err := bad.Save(ctx, "k", file); err == nil || !strings.Contains(err.Error(), "access denied") {
		t.Errorf("wrong secret: %v, want access denied", err)
	}
	if _, err := newDriver(t, w).Stat(ctx, "../k"); !errors.Is(err, artifacts.ErrBadKey) {
		t.Errorf("Stat(../k) = %v, want ErrBadKey", err)
	}
	for _, c := range []Config{{Endpoint: "h:1"}, {Endpoint: "h:1/path", Bucket: "bucket"}, {Endpoint: "h:1", Bucket: "B_"}} {
		if _, err := New(c); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v, want ErrConfig", c, err)
		}
	}
}

// A dead endpoint fails within the bounded retries, naming where.
func TestS3DeadEndpointFailsBounded(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := l.Addr().String()
	must(t, l.Close()) // nothing listens there now: connections are refused
	d, err := New(Config{Endpoint: addr, Bucket: "bucket", Insecure: true, AccessKey: "a", SecretKey: "s"})
	must(t, err)
	file := filepath.Join(t.TempDir(), "f")
	must(t, os.WriteFile(file, []byte("x"), 0o600))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = d.Save(ctx, "k", file)
	if err == nil || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("Save to a dead endpoint: %v, want an error naming %s and the refusal", err, addr)
	}
	if ctx.Err() != nil {
		t.Fatal("the retries were not bounded: the test's minute ran out")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestS3CreateBucketIfNotPresent(t *testing.T) {
	w := weed.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	file := filepath.Join(t.TempDir(), "f")
	must(t, os.WriteFile(file, []byte("x"), 0o600))
	cfg := Config{Endpoint: w.Endpoint, Bucket: "made-on-demand", Insecure: true, AccessKey: w.AccessKey, SecretKey: w.SecretKey}
	d, err := New(cfg)
	must(t, err)
	if err := d.Save(ctx, "k", file); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("without CreateBucket: %v, want the missing bucket named", err)
	}
	cfg.CreateBucket = true
	d, err = New(cfg)
	must(t, err)
	must(t, d.Save(ctx, "k", file))
	if _, err := d.Stat(ctx, "k"); err != nil {
		t.Fatal(err)
	}
}
