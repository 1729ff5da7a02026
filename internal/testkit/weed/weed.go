// Package weed starts a real S3-compatible server, SeaweedFS's weed, for
// tests. It imports nothing of semaflow's, so any package's tests may use it.
package weed

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// EnvNoWeed, set to 1, skips the tests that need a real S3 server; they
// never skip otherwise (scripts/test builds weed, so CI runs them).
const EnvNoWeed = "SEMAFLOW_NO_WEED"

// Module is the SeaweedFS version scripts/test builds: the real
// S3-compatible server the S3 tests talk to.
const Module = "github.com/seaweedfs/seaweedfs/weed@v0.0.0-20261109003541-7506e5f91cd6"

// Weed is a throwaway SeaweedFS (`weed mini`: master, volume, filer and
// S3 gateway in one process) on loopback ports of its own, with its data
// in a temporary directory, one bucket and one access key.
type Weed struct {
	Endpoint  string // host:port of the S3 gateway, plain HTTP
	Bucket    string
	AccessKey string
	SecretKey string

	dir    string
	cmd    *exec.Cmd
	exited chan struct{}
	log    *lockedBuffer

	stopOnce sync.Once
}

// Binary finds weed: on PATH, or in GOPATH/bin where scripts/test
// installs it.
func Binary() (string, error) {
	if p, err := exec.LookPath("weed"); err == nil {
		return p, nil
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		home, _ := os.UserHomeDir()
		gopath = filepath.Join(home, "go")
	}
	p := filepath.Join(gopath, "bin", "weed")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("testkit: no weed binary on PATH or in %s: run scripts/test (it builds %s), or set %s=1 to skip the S3 tests", filepath.Dir(p), Module, EnvNoWeed)
	}
	return p, nil
}

// Start starts a server for this test and stops it (and removes its
// data) when the test ends. With SEMAFLOW_NO_WEED=1 the test is skipped.
func Start(tb testing.TB) *Weed {
	tb.Helper()
	if os.Getenv(EnvNoWeed) == "1" {
		tb.Skipf("%s=1: skipping a test that needs a real S3 server (SeaweedFS weed)", EnvNoWeed)
	}
	bin, err := Binary()
	if err != nil {
		tb.Fatal(err)
	}
	var w *Weed
	// A port found free can be taken before weed binds it: try again with
	// new ports a few times.
	for attempt := 0; attempt < 3; attempt++ {
		w, err = startWeed(tb, bin)
		if err == nil {
			break
		}
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(w.Stop)
	return w
}

func startWeed(tb testing.TB, bin string) (*Weed, error) {
	ports, err := freePorts(12)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "semaflow-weed-")
	if err != nil {
		return nil, err
	}
	w := &Weed{
		Endpoint: "127.0.0.1:" + strconv.Itoa(ports[0]), Bucket: "semaflow-test",
		AccessKey: "AK" + randHex(8), SecretKey: randHex(20),
		dir: dir, exited: make(chan struct{}), log: &lockedBuffer{},
	}
	p := func(i int) string { return strconv.Itoa(ports[i]) }
	args := []string{"mini", "-dir=" + dir, "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-s3.port=" + p(0), "-s3.port.grpc=" + p(1),
		"-master.port=" + p(2), "-master.port.grpc=" + p(3),
		"-filer.port=" + p(4), "-filer.port.grpc=" + p(5),
		"-volume.port=" + p(6), "-volume.port.grpc=" + p(7),
		"-admin.port=" + p(8), "-admin.port.grpc=" + p(9), "-admin.port.legacy=0",
		"-s3.port.iceberg=0", "-s3.port.lance=0", "-webdav=false", "-admin.ui=false",
		"-master.telemetry=false", "-master.volumeSizeLimitMB=64", "-bucket=" + w.Bucket,
		"-filer.localSocket=" + filepath.Join(dir, "filer.sock"),
	}
	w.cmd = exec.Command(bin, args...)
	w.cmd.Dir = dir
	// weed reads the admin identity from these; nothing else of ours.
	w.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "AWS_ACCESS_KEY_ID=" + w.AccessKey, "AWS_SECRET_ACCESS_KEY=" + w.SecretKey}
	w.cmd.Stdout, w.cmd.Stderr = w.log, w.log
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := w.cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("testkit: starting weed: %w", err)
	}
	go func() { _ = w.cmd.Wait(); close(w.exited) }()
	if err := w.waitReady(); err != nil {
		w.stop()
		return nil, err
	}
	tb.Logf("testkit: weed S3 at %s (bucket %s, data %s)", w.Endpoint, w.Bucket, dir)
	return w, nil
}

// weedStartTimeout is generous: weed's first start on a busy 2-core
// machine takes several seconds.
const weedStartTimeout = 90 * time.Second

// waitReady waits until the gateway answers signed requests and the
// bucket exists (weed makes it at start; we make it if it has not).
func (w *Weed) waitReady() error {
	deadline := time.Now().Add(weedStartTimeout)
	c, err := minio.New(w.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(w.AccessKey, w.SecretKey, ""), MaxRetries: 1})
	if err != nil {
		return err
	}
	for time.Now().Before(deadline) {
		select {
		case <-w.exited:
			return fmt.Errorf("testkit: weed exited while starting:\n%s", w.log.tail(4000))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ok, err := c.BucketExists(ctx, w.Bucket)
		if err == nil && !ok {
			err = c.MakeBucket(ctx, w.Bucket, minio.MakeBucketOptions{})
			ok = err == nil
		}
		cancel()
		if ok {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("testkit: weed's S3 gateway at %s not ready within %s:\n%s", w.Endpoint, weedStartTimeout, w.log.tail(4000))
}

// Stop ends weed and its whole process group, then removes its data
// (a test may stop it early, to see what a dead endpoint does; it is
// stopped at the test's end anyway).
func (w *Weed) Stop() { w.stopOnce.Do(w.stop) }

// Freeze stops weed's processes without closing their sockets: an S3
// endpoint that accepts connections and never answers. Stop thaws it.
func (w *Weed) Freeze() {
	if w.cmd.Process != nil {
		_ = syscall.Kill(-w.cmd.Process.Pid, syscall.SIGSTOP)
	}
}

func (w *Weed) stop() {
	if w.cmd.Process != nil {
		_ = syscall.Kill(-w.cmd.Process.Pid, syscall.SIGCONT)
		_ = syscall.Kill(-w.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-w.exited:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL)
			<-w.exited
		}
	}
	_ = os.RemoveAll(w.dir)
}

// Log is what weed printed, for a failing test's message.
func (w *Weed) Log() string { return w.log.tail(8000) }

// freePorts finds n loopback TCP ports that are free now.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	out := make([]int, 0, n)
	for len(out) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// lockedBuffer is weed's output, written by its pipe and read by tests.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 {
		b.buf.Reset() // keep memory bounded; the tail is what explains a failure
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}

// client is a signed client of the server's gateway.
func (w *Weed) client() (*minio.Client, error) {
	return minio.New(w.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(w.AccessKey, w.SecretKey, ""), MaxRetries: 1})
}

// Put stores data under key in the bucket, as a test's fixture.
func (w *Weed) Put(tb testing.TB, key string, data []byte) {
	tb.Helper()
	c, err := w.client()
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err = c.PutObject(ctx, w.Bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
	}
	if err != nil {
		tb.Fatalf("weed: put %s: %v", key, err)
	}
}

// Keys lists the bucket's keys under prefix.
func (w *Weed) Keys(tb testing.TB, prefix string) []string {
	tb.Helper()
	c, err := w.client()
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []string
	for o := range c.ListObjects(ctx, w.Bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			tb.Fatalf("weed: list %s: %v", prefix, o.Err)
		}
		out = append(out, o.Key)
	}
	return out
}

// Get reads the object key, or fails the test.
func (w *Weed) Get(tb testing.TB, key string) []byte {
	tb.Helper()
	c, err := w.client()
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	o, err := c.GetObject(ctx, w.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		tb.Fatalf("weed: get %s: %v", key, err)
	}
	defer o.Close()
	b, err := io.ReadAll(o)
	if err != nil {
		tb.Fatalf("weed: get %s: %v", key, err)
	}
	return b
}
