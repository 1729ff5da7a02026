package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// argoCLI is the real argo CLI (shared/tools/build-argo-cli.sh): the
// SEMAFLOW_ARGO_CLI file, else where that script puts it; "" when absent.
func argoCLI() string {
	for _, p := range []string{os.Getenv("SEMAFLOW_ARGO_CLI"), "/tmp/argo-cli/argo"} {
		if st, err := os.Stat(p); p != "" && err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// tgzFile reads the one file of a tar+gzip artifact.
func tgzFile(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip (%d bytes): %v", len(b), err)
	}
	tr := tar.NewReader(zr)
	if _, err := tr.Next(); err != nil {
		t.Fatalf("tar: %v", err)
	}
	data, _ := io.ReadAll(tr)
	return string(data)
}

// A server run from the built binary serves a step's output artifact
// over Argo's download paths, to a token of the namespace only, and the
// real `argo cp` (when built) copies it as it copies from Argo's server.
func TestServerServesArtifactDownloads(t *testing.T) {
	tokens := writeFile(t, "tokens", "s3cret-0123456789\nother-0123456789 other-ns\n")
	s := startServer(t, "--db", filepath.Join(t.TempDir(), "db"), "--auth-token-file", tokens)
	wf := `{"workflow": {"metadata": {"name": "dl"}, "spec": {"entrypoint": "main", "templates": [{"name": "main",
	  "container": {"image": "alpine", "command": ["sh", "-c", "echo payload > /tmp/out.txt"]},
	  "outputs": {"artifacts": [{"name": "out", "path": "/tmp/out.txt"}]}}]}}}`
	if code, out := httpDo(t, "POST", s.url+"/api/v1/workflows/default", "s3cret-0123456789", wf); code != 200 {
		t.Fatalf("create: %d %v", code, out)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, out := httpDo(t, "GET", s.url+"/api/v1/workflows/default/dl", "s3cret-0123456789", "")
		st, _ := out["status"].(map[string]any)
		if st["phase"] == "Succeeded" {
			break
		}
		if st["phase"] == "Failed" || st["phase"] == "Error" || time.Now().After(deadline) {
			t.Fatalf("workflow dl: %v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	get := func(token, path string) (int, http.Header, []byte) {
		req, _ := http.NewRequest("GET", s.url+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, b
	}
	for _, p := range []string{"/artifacts/default/dl/dl/out", "/artifact-files/default/workflows/dl/dl/outputs/out"} {
		code, h, b := get("s3cret-0123456789", p)
		if code != 200 || tgzFile(t, b) != "payload\n" || h.Get("Content-Disposition") != `filename="out.tgz"` {
			t.Errorf("%s: %d %v %q", p, code, h, b)
		}
		if code, _, b := get("other-0123456789", p); code != 403 || bytes.Contains(b, []byte("payload")) {
			t.Errorf("%s with another namespace's token: %d %s", p, code, b)
		}
		if code, _, _ := get("", p); code != 401 {
			t.Errorf("%s without a token: %d", p, code)
		}
	}

	argo := argoCLI()
	if argo == "" {
		t.Log("the real argo CLI is not built (shared/tools/build-argo-cli.sh; SEMAFLOW_ARGO_CLI): argo cp not tried")
		return
	}
	u, _ := url.Parse(s.url)
	dir := t.TempDir()
	cmd := exec.Command(argo, "cp", "dl", dir)
	cmd.Env = append(os.Environ(), "ARGO_SERVER="+u.Host, "ARGO_HTTP1=true", "ARGO_SECURE=false",
		"ARGO_TOKEN=Bearer s3cret-0123456789", "KUBECONFIG=/dev/null", "ARGO_NAMESPACE=default")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("argo cp: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "default", "dl", "dl", "outputs", "out", "out.tgz"))
	if err != nil {
		t.Fatalf("argo cp wrote no out.tgz where Argo's would be: %v\n%s", err, out)
	}
	if got := tgzFile(t, b); got != "payload\n" {
		t.Errorf("argo cp copied %q", got)
	}
	if !strings.Contains(string(out), `Created "out.tgz"`) {
		t.Errorf("argo cp said:\n%s", out)
	}
}
