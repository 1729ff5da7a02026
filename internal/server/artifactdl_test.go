package server_test

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/server"
)

// artifactSpec makes a file kept as it is, a file and a directory
// archived as tar+gzip (the default), and a directory kept unarchived.
const artifactSpec = `{"entrypoint": "main", "templates": [{"name": "main",
  "container": {"image": "alpine", "command": ["sh", "-c",
    "echo hello artifact > /tmp/plain.txt; echo zipped > /tmp/z.txt; mkdir -p /tmp/d/sub /tmp/t/sub; echo inner > /tmp/d/sub/a.txt; echo leaf > /tmp/t/sub/leaf.txt; echo top > /tmp/t/top.txt"]},
  "outputs": {"artifacts": [
    {"name": "plain", "path": "/tmp/plain.txt", "archive": {"none": {}}},
    {"name": "zipped", "path": "/tmp/z.txt"},
    {"name": "dir", "path": "/tmp/d"},
    {"name": "tree", "path": "/tmp/t", "archive": {"none": {}}}]}}]}`

// artifactWorkflow runs artifactSpec as name in default and answers it
// once it succeeded.
func artifactWorkflow(t *testing.T, c *tokenAPI, name string) *wfv1.Workflow {
	t.Helper()
	body := `{"workflow": {"metadata": {"name": "` + name + `"}, "spec": ` + artifactSpec + `}}`
	if code, out := c.do(adminToken, "POST", "/api/v1/workflows/default", body); code != 200 {
		t.Fatalf("create %s: %d %s", name, code, out)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		code, out := c.do(adminToken, "GET", "/api/v1/workflows/default/"+name, "")
		var wf wfv1.Workflow
		if code == 200 && json.Unmarshal([]byte(out), &wf) == nil {
			switch wf.Status.Phase {
			case wfv1.PhaseSucceeded:
				return &wf
			case wfv1.PhaseFailed, wfv1.PhaseError:
				t.Fatalf("%s: %s %s", name, wf.Status.Phase, wf.Status.Message)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not succeed within a minute", name)
	return nil
}

// download answers the status, headers and body of an artifact path.
func (c *tokenAPI) download(token, path string) (int, http.Header, []byte) {
	c.t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return send(c.t, hc, "GET", c.base+path, "", map[string]string{"Authorization": "Bearer " + token})
}

// untarOne reads the one regular file named name from a tar+gzip stream.
func untarOne(t *testing.T, b []byte, name string) string {
	t.Helper()
	zr, err := gzip.NewReader(strings.NewReader(string(b)))
	if err != nil {
		t.Fatalf("not gzip: %v (%q)", err, b[:min(len(b), 40)])
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			t.Fatalf("no %s in the archive", name)
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimPrefix(h.Name, "./") == name || strings.HasSuffix(h.Name, "/"+name) {
			data, _ := io.ReadAll(tr)
			return string(data)
		}
	}
}

// Argo's artifact download paths serve a node's output artifacts as
// they are stored: a file kept as it is, an archive as its tar+gzip
// bytes, with Content-Disposition naming the key's last part; a
// directory kept unarchived is listed and its files served one by one;
// the older /artifacts/ path (what `argo cp` asks) and the archived
// workflow's by UID serve the same bytes.
func TestArtifactDownload(t *testing.T) {
	c := startTokenAPI(t, []server.Token{{Value: adminToken}, {Value: teamAToken, Namespaces: []string{"team-a"}}})
	wf := artifactWorkflow(t, c, "arts")
	node := wf.Metadata.Name // a one-container workflow's node id is its name
	uid := wf.Metadata.UID

	code, h, b := c.download(adminToken, "/artifact-files/default/workflows/arts/"+node+"/outputs/plain")
	if code != 200 || string(b) != "hello artifact\n" {
		t.Fatalf("plain file: %d %q", code, b)
	}
	if cd := h.Get("Content-Disposition"); !strings.Contains(cd, `filename="`) {
		t.Errorf("plain file: Content-Disposition %q, want a filename", cd)
	}
	if h.Get("X-Frame-Options") == "" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("plain file: no sandboxing headers: %v", h)
	}

	code, h, b = c.download(adminToken, "/artifact-files/default/workflows/arts/"+node+"/outputs/zipped")
	if code != 200 {
		t.Fatalf("zipped file: %d %s", code, b)
	}
	if got := untarOne(t, b, "z.txt"); got != "zipped\n" {
		t.Errorf("zipped file: %q", got)
	}
	if cd := h.Get("Content-Disposition"); cd != `filename="zipped.tgz"` {
		t.Errorf("zipped file: Content-Disposition %q", cd)
	}

	code, _, b = c.download(adminToken, "/artifact-files/default/workflows/arts/"+node+"/outputs/dir")
	if code != 200 {
		t.Fatalf("directory archive: %d %s", code, b)
	}
	if got := untarOne(t, b, "sub/a.txt"); got != "inner\n" {
		t.Errorf("directory archive: sub/a.txt %q", got)
	}

	// An unarchived directory: Argo redirects to the path with a slash,
	// lists it there, and serves each file under it.
	treePath := "/artifact-files/default/workflows/arts/" + node + "/outputs/tree"
	code, h, _ = c.download(adminToken, treePath)
	if code != http.StatusTemporaryRedirect || !strings.HasSuffix(h.Get("Location"), treePath+"/") {
		t.Errorf("tree without a slash: %d Location %q, want 307 to the path with a slash", code, h.Get("Location"))
	}
	code, _, b = c.download(adminToken, treePath+"/")
	if code != 200 || !strings.Contains(string(b), `href="./top.txt"`) || !strings.Contains(string(b), `href="./sub/"`) {
		t.Errorf("tree listing: %d %s", code, b)
	}
	if code, _, b = c.download(adminToken, treePath+"/sub/leaf.txt"); code != 200 || string(b) != "leaf\n" {
		t.Errorf("tree file: %d %q", code, b)
	}

	// What `argo cp` asks, and the same by the archived workflow's UID.
	for _, p := range []string{
		"/artifacts/default/arts/" + node + "/zipped",
		"/artifacts-by-uid/" + uid + "/" + node + "/zipped",
		"/artifact-files/default/archived-workflows/" + uid + "/" + node + "/outputs/zipped",
	} {
		code, _, b := c.download(adminToken, p)
		if code != 200 {
			t.Errorf("%s: %d %s", p, code, b)
			continue
		}
		if got := untarOne(t, b, "z.txt"); got != "zipped\n" {
			t.Errorf("%s: %q", p, got)
		}
	}
}

// The download paths are the API's: no token is 401, a token scoped to
// another namespace is 403 (by name and by UID), and nothing of the
// artifact is in the answer.
func TestArtifactDownloadAuth(t *testing.T) {
	c := startTokenAPI(t, []server.Token{{Value: adminToken}, {Value: teamAToken, Namespaces: []string{"team-a"}}})
	wf := artifactWorkflow(t, c, "guarded")
	node, uid := wf.Metadata.Name, wf.Metadata.UID
	paths := []string{
		"/artifact-files/default/workflows/guarded/" + node + "/outputs/plain",
		"/artifact-files/default/archived-workflows/" + uid + "/" + node + "/outputs/plain",
		"/artifacts/default/guarded/" + node + "/plain",
		"/artifacts-by-uid/" + uid + "/" + node + "/plain",
		"/input-artifacts/default/guarded/" + node + "/plain",
		"/input-artifacts-by-uid/" + uid + "/" + node + "/plain",
	}
	for _, p := range paths {
		if code, _, b := c.download("", p); code != 401 || strings.Contains(string(b), "hello") {
			t.Errorf("%s without a token: %d %s", p, code, b)
		}
		if code, _, b := c.download(teamAToken, p); code != 403 || strings.Contains(string(b), "hello") {
			t.Errorf("%s with team-a's token: %d %s", p, code, b)
		}
	}
	// A team-a token naming team-a in the path of default's archived
	// workflow: the workflow is not in that namespace.
	p := "/artifact-files/team-a/archived-workflows/" + uid + "/" + node + "/outputs/plain"
	if code, _, b := c.download(teamAToken, p); code == 200 || strings.Contains(string(b), "hello") {
		t.Errorf("%s with team-a's token: %d %s", p, code, b)
	}
}

// Missing things are 404 naming what is missing; hostile node ids,
// artifact names and file paths reach nothing outside the artifact.
func TestArtifactDownloadMissingAndHostile(t *testing.T) {
	c := startTokenAPI(t, []server.Token{{Value: adminToken}})
	wf := artifactWorkflow(t, c, "edges")
	node := wf.Metadata.Name
	for _, tc := range []struct{ path, want string }{
		{"/artifact-files/default/workflows/nope/nope/outputs/plain", "nope"},
		{"/artifact-files/default/workflows/edges/no-such-node/outputs/plain", "no-such-node"},
		{"/artifact-files/default/workflows/edges/" + node + "/outputs/no-such-art", "no-such-art"},
		{"/artifact-files/default/workflows/edges/" + node + "/inputs/plain", "plain"},
		{"/artifact-files/default/archived-workflows/00000000-0000-0000-0000-000000000000/" + node + "/outputs/plain", "00000000-0000-0000-0000-000000000000"},
		{"/artifacts/default/edges/" + node + "/no-such-art", "no-such-art"},
		{"/artifact-files/default/workflows/edges/" + node + "/outputs/tree/no-such-file", "no-such-file"},
	} {
		code, _, b := c.download(adminToken, tc.path)
		if code != 404 || !strings.Contains(message(string(b)), tc.want) {
			t.Errorf("%s: %d %s, want 404 naming %q", tc.path, code, b, tc.want)
		}
	}
	for _, p := range []string{
		"/artifact-files/default/workflows/edges/" + url.PathEscape("../../../etc") + "/outputs/plain",
		"/artifact-files/default/workflows/edges/" + node + "/outputs/" + url.PathEscape("../../etc/passwd"),
		"/artifact-files/default/workflows/edges/" + node + "/outputs/tree/" + url.PathEscape("../../../../../etc/passwd"),
		"/artifact-files/default/workflows/edges/" + node + "/outputs/tree/%2e%2e/%2e%2e/plain",
		"/artifact-files/default/workflows/edges/" + node + "/outputs/tree/sub/..%2f..%2f..%2fplain",
		"/artifacts/default/edges/" + url.PathEscape(node+"/../x") + "/plain",
		"/artifact-files/default/sideways/edges/" + node + "/outputs/plain",
		"/artifact-files/default/workflows/edges/" + node + "/sideways/plain",
	} {
		code, _, b := c.download(adminToken, p)
		if code == 200 || strings.Contains(string(b), "root:") || strings.Contains(string(b), "hello artifact") {
			t.Errorf("%s: %d %s, want a refusal", p, code, b)
		}
	}
}
