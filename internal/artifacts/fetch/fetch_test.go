package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// denyLoopback refuses loopback addresses, as a server's policy does.
type denyLoopback struct{}

func (denyLoopback) Allows(_ string, ip netip.Addr) error {
	if ip.Unmap().IsLoopback() {
		return fmt.Errorf("%s is a loopback address", ip)
	}
	return nil
}

func TestLoadHTTPHeadersAndBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Token") != "t1" {
			http.Error(w, "no token", http.StatusForbidden)
			return
		}
		fmt.Fprint(w, "payload")
	}))
	defer srv.Close()
	dst := filepath.Join(t.TempDir(), "sub", "file")
	if err := LoadHTTP(context.Background(), HTTP{URL: srv.URL + "/a", Headers: []Header{{"X-Token", "t1"}}}, nil, dst); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "payload" {
		t.Fatalf("got %q", b)
	}
	err := LoadHTTP(context.Background(), HTTP{URL: srv.URL + "/a"}, nil, dst+"2")
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("want a 403 error, got %v", err)
	}
	if _, err := os.Stat(dst + "2"); !os.IsNotExist(err) {
		t.Fatal("a failed download left a file")
	}
}

func TestLoadHTTPPolicyAndCap(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, strings.Repeat("x", 100))
	}))
	defer srv.Close()
	dst := filepath.Join(t.TempDir(), "f")
	err := LoadHTTP(context.Background(), HTTP{URL: srv.URL}, denyLoopback{}, dst)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("want the policy's refusal, got %v", err)
	}
	err = loadHTTP(context.Background(), HTTP{URL: srv.URL}, nil, dst, 10)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("want ErrTooLarge, got %v", err)
	}
	for _, u := range []string{"file:///etc/passwd", "ftp://x/y", "not a url"} {
		if err := LoadHTTP(context.Background(), HTTP{URL: u}, nil, dst); err == nil {
			t.Errorf("%s: want an error", u)
		}
	}
}

// gitRepo makes a repository with two commits; it returns its path and
// the first commit's hash.
func gitRepo(t *testing.T) (string, string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("these tests need git on PATH: apt-get install git")
	}
	dir := t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@e", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@e", "GIT_CONFIG_GLOBAL=/dev/null")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "main")
	must(t, os.WriteFile(filepath.Join(dir, "v.txt"), []byte("one\n"), 0o644))
	git("add", "v.txt")
	git("commit", "-q", "-m", "one")
	first := git("rev-parse", "HEAD")
	must(t, os.WriteFile(filepath.Join(dir, "v.txt"), []byte("two\n"), 0o644))
	git("commit", "-q", "-am", "two")
	return dir, first
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestLoadGitLocalRevisionAndDepth(t *testing.T) {
	repo, first := gitRepo(t)
	cases := []struct {
		name string
		g    Git
		want string
	}{
		{"head", Git{Repo: repo}, "two\n"},
		{"revision", Git{Repo: repo, Revision: first}, "one\n"},
		{"file URL, depth 1", Git{Repo: "file://" + repo, Depth: 1}, "two\n"},
		{"branch", Git{Repo: repo, Revision: "main", SingleBranch: true}, "two\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "out")
			if err := LoadGit(context.Background(), c.g, nil, dst, t.TempDir()); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(filepath.Join(dst, "v.txt")); string(b) != c.want {
				t.Fatalf("v.txt = %q, want %q", b, c.want)
			}
		})
	}
}

func TestLoadGitRefusals(t *testing.T) {
	repo, _ := gitRepo(t)
	cases := []struct {
		g    Git
		p    Policy
		want string
	}{
		{Git{Repo: repo}, denyLoopback{}, "path on the engine's host"},
		{Git{Repo: "ext::sh -c touch% /tmp/pwned"}, nil, "remote helpers"},
		{Git{Repo: "--upload-pack=touch /tmp/x"}, nil, "cannot start with -"},
		{Git{Repo: "ftp://host/r.git"}, nil, "scheme ftp"},
		{Git{Repo: "relative/path"}, nil, "want a URL"},
		{Git{Repo: "http://127.0.0.1:1/r.git"}, denyLoopback{}, "loopback"},
		{Git{Repo: repo, Revision: "--orphan"}, nil, "cannot start with -"},
		{Git{Repo: repo, Revision: "no-such-rev"}, nil, `revision "no-such-rev"`},
	}
	for _, c := range cases {
		err := LoadGit(context.Background(), c.g, c.p, filepath.Join(t.TempDir(), "out"), t.TempDir())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: want an error with %q, got %v", c.g, c.want, err)
		}
	}
}
