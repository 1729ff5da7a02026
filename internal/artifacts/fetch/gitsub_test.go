package fetch

import (
	"context"
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

// denyLiteral refuses the literal address 127.0.0.1 (and so local paths,
// which are checked as it) but allows the name localhost: the test's
// stand-in for "the internal host" next to "a public one".
type denyLiteral struct{}

func (denyLiteral) Allows(host string, ip netip.Addr) error {
	if host == "127.0.0.1" {
		return fmt.Errorf("%s is refused", ip)
	}
	return nil
}

// runGit runs git in dir for a test fixture.
func runGit(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@e", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@e",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v: %s", args, err, out)
	}
}

// bareRepo makes a bare repository under root/name served as dumb http
// (update-server-info), with one file; mod, when set, is its .gitmodules
// (the submodule's commit is sub's HEAD at path "sub").
func bareRepo(t *testing.T, root, name, file, mod, sub string) string {
	t.Helper()
	work := t.TempDir()
	runGit(t, work, "init", "-q", "-b", "main")
	must(t, os.WriteFile(filepath.Join(work, file), []byte(name+"\n"), 0o644))
	runGit(t, work, "add", file)
	if mod != "" {
		must(t, os.WriteFile(filepath.Join(work, ".gitmodules"), []byte(mod), 0o644))
		runGit(t, work, "add", ".gitmodules")
		out, err := exec.Command("git", "-C", sub, "rev-parse", "HEAD").Output()
		must(t, err)
		runGit(t, work, "update-index", "--add", "--cacheinfo", "160000,"+strings.TrimSpace(string(out))+",sub")
	}
	runGit(t, work, "commit", "-q", "-m", "c")
	bare := filepath.Join(root, name)
	runGit(t, root, "clone", "-q", "--bare", work, bare)
	runGit(t, bare, "update-server-info")
	return bare
}

// TestLoadGitSubmodulesObeyThePolicy: a submodule is a connection made
// for the workflow too: a local-path or refused-host submodule URL fails
// the artifact, and nothing of it is read.
func TestLoadGitSubmodulesObeyThePolicy(t *testing.T) {
	root := t.TempDir()
	srv := httptest.NewServer(http.FileServer(http.Dir(root)))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	sub := bareRepo(t, root, "sub.git", "secret.txt", "", "")
	for name, url := range map[string]string{
		"local.git":    sub,
		"fileurl.git":  "file://" + sub,
		"loopback.git": "http://127.0.0.1:" + port + "/sub.git",
	} {
		t.Run(name, func(t *testing.T) {
			bareRepo(t, root, name, "top.txt", "[submodule \"sub\"]\n\tpath = sub\n\turl = "+url+"\n", sub)
			dst := filepath.Join(t.TempDir(), "out")
			err := LoadGit(context.Background(), Git{Repo: "http://localhost:" + port + "/" + name}, denyLiteral{}, dst, t.TempDir())
			if err == nil || !strings.Contains(err.Error(), "submodule") {
				t.Errorf("submodule url %s: %v, want a refusal naming the submodule", url, err)
			}
			if _, err := os.Stat(filepath.Join(dst, "sub", "secret.txt")); err == nil {
				t.Errorf("submodule url %s: its file was read", url)
			}
		})
	}
	// Allowed submodules are still cloned.
	bareRepo(t, root, "ok.git", "top.txt", "[submodule \"sub\"]\n\tpath = sub\n\turl = http://localhost:"+port+"/sub.git\n", sub)
	dst := filepath.Join(t.TempDir(), "out")
	if err := LoadGit(context.Background(), Git{Repo: "http://localhost:" + port + "/ok.git"}, denyLiteral{}, dst, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "sub", "secret.txt")); string(b) != "sub.git\n" {
		t.Fatalf("an allowed submodule: sub/secret.txt = %q", b)
	}
}

// TestLoadGitFollowsNoRedirect: git checks only the first URL's host, so
// a redirect would lead it anywhere.
func TestLoadGitFollowsNoRedirect(t *testing.T) {
	root := t.TempDir()
	bareRepo(t, root, "sub.git", "secret.txt", "", "")
	files := http.FileServer(http.Dir(root))
	var port string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.Path, "/rg/"); ok {
			http.Redirect(w, r, "http://127.0.0.1:"+port+"/"+rest+"?"+r.URL.RawQuery, http.StatusFound)
			return
		}
		files.ServeHTTP(w, r)
	}))
	defer srv.Close()
	port = srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	dst := filepath.Join(t.TempDir(), "out")
	err := LoadGit(context.Background(), Git{Repo: "http://localhost:" + port + "/rg/sub.git"}, denyLiteral{}, dst, t.TempDir())
	if err == nil {
		t.Fatal("a redirect to a refused host was followed")
	}
	if _, err := os.Stat(filepath.Join(dst, "secret.txt")); err == nil {
		t.Fatal("the redirect's target was read")
	}
}

// TestLoadGitRunsAsTheGivenUser: git runs for a workflow as an
// unprivileged user, so it reads nothing that user cannot (here a
// root-only repository); what it clones still reaches dst.
func TestLoadGitRunsAsTheGivenUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run git as another user")
	}
	nobody := &User{UID: 65534, GID: 65534}
	private := t.TempDir()
	must(t, os.Chmod(private, 0o700))
	repo := bareRepo(t, private, "r.git", "secret.txt", "", "")
	err := LoadGit(context.Background(), Git{Repo: repo, User: nobody}, nil, filepath.Join(t.TempDir(), "out"), t.TempDir())
	if err == nil {
		t.Fatal("git, run as nobody, read a root-only repository")
	}
	open := filepath.Join(os.TempDir(), "semaflow-test-open-"+filepath.Base(t.TempDir()))
	must(t, os.MkdirAll(open, 0o755))
	t.Cleanup(func() { _ = os.RemoveAll(open) })
	repo = bareRepo(t, open, "r.git", "v.txt", "", "")
	must(t, exec.Command("chmod", "-R", "a+rX", open).Run())
	dst := filepath.Join(t.TempDir(), "out")
	if err := LoadGit(context.Background(), Git{Repo: repo, User: nobody}, nil, dst, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "v.txt")); string(b) != "r.git\n" {
		t.Fatalf("v.txt = %q", b)
	}
}

// TestCopyTreeKeepsLinksAsLinks: the clone's owner may plant links; the
// engine copies them as links and never reads through them.
func TestCopyTreeKeepsLinksAsLinks(t *testing.T) {
	src := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(src, "d"), 0o755))
	must(t, os.WriteFile(filepath.Join(src, "d", "f"), []byte("f"), 0o644))
	must(t, os.Symlink("/etc/passwd", filepath.Join(src, "d", "pw")))
	dst := filepath.Join(t.TempDir(), "out")
	must(t, copyTree(src, dst))
	if b, _ := os.ReadFile(filepath.Join(dst, "d", "f")); string(b) != "f" {
		t.Fatalf("d/f = %q", b)
	}
	if l, err := os.Readlink(filepath.Join(dst, "d", "pw")); err != nil || l != "/etc/passwd" {
		t.Fatalf("d/pw: %q, %v, want the link itself", l, err)
	}
}
