package server

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/artifacts"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/store"
)

// Argo server's artifact download paths (server/artifacts in Argo):
//
//	/artifact-files/{ns}/{workflows|archived-workflows}/{name|uid}/{node}/{outputs|inputs}/{artifact}[/{file...}]
//	/artifacts/{ns}/{name}/{node}/{artifact}            (what `argo cp` asks)
//	/input-artifacts/{ns}/{name}/{node}/{artifact}
//	/artifacts-by-uid/{uid}/{node}/{artifact}           (an archived workflow)
//	/input-artifacts-by-uid/{uid}/{node}/{artifact}
//
// An artifact is served as it is stored: an archived one as its tar+gzip
// bytes, a file kept with archive none as the file. Only artifact-files
// lists a directory kept with archive none, and serves its files.

// artifactPrefixes are the download paths' roots; they need a token as
// the API does.
var artifactPrefixes = []string{"/artifact-files/", "/artifacts/", "/input-artifacts/", "/artifacts-by-uid/", "/input-artifacts-by-uid/"}

func (s *Server) artifactRoutes(mux *http.ServeMux) {
	const files = "GET /artifact-files/{namespace}/{kind}/{id}/{node}/{direction}/{artifact}"
	mux.HandleFunc(files, s.artifactFile)
	mux.HandleFunc(files+"/{file...}", s.artifactFile)
	mux.HandleFunc("GET /artifacts/{namespace}/{id}/{node}/{artifact}", s.artifactDownload("workflows", "outputs"))
	mux.HandleFunc("GET /input-artifacts/{namespace}/{id}/{node}/{artifact}", s.artifactDownload("workflows", "inputs"))
	mux.HandleFunc("GET /artifacts-by-uid/{id}/{node}/{artifact}", s.artifactDownload("archived-workflows", "outputs"))
	mux.HandleFunc("GET /input-artifacts-by-uid/{id}/{node}/{artifact}", s.artifactDownload("archived-workflows", "inputs"))
}

// artifactRequest is what a download path names.
type artifactRequest struct {
	namespace string // "" for the by-uid paths
	kind      string // workflows or archived-workflows
	id        string // the workflow's name, or an archived one's UID
	node      string
	direction string // outputs or inputs
	name      string
	file      string // a file of an unarchived directory; "" for the artifact
	listing   bool   // artifact-files with a trailing slash: list the directory
}

func (s *Server) artifactFile(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	req := artifactRequest{namespace: r.PathValue("namespace"), kind: r.PathValue("kind"), id: r.PathValue("id"),
		node: r.PathValue("node"), direction: r.PathValue("direction"), name: r.PathValue("artifact"),
		file: strings.TrimSuffix(file, "/"), listing: strings.HasSuffix(r.URL.Path, "/")}
	s.serveArtifact(w, r, req, true)
}

func (s *Server) artifactDownload(kind, direction string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req := artifactRequest{namespace: r.PathValue("namespace"), kind: kind, id: r.PathValue("id"),
			node: r.PathValue("node"), direction: direction, name: r.PathValue("artifact")}
		s.serveArtifact(w, r, req, false)
	}
}

// serveArtifact finds the workflow, node and artifact a request names,
// each missing one a 404 that names it, and streams the artifact.
// browse allows artifact-files' directory listing and files.
func (s *Server) serveArtifact(w http.ResponseWriter, r *http.Request, req artifactRequest, browse bool) {
	if req.direction != "outputs" && req.direction != "inputs" {
		writeError(w, codeInvalid, fmt.Sprintf("%q: the path names outputs or inputs", req.direction))
		return
	}
	if req.file != "" {
		if err := checkArtifactFile(req.file); err != nil {
			writeError(w, codeInvalid, err.Error())
			return
		}
	}
	wf, ok := s.artifactWorkflow(w, r, req)
	if !ok {
		return
	}
	node, ok := wf.Status.Nodes[req.node]
	if !ok {
		writeError(w, codeNotFound, fmt.Sprintf("workflow %s/%s has no node %q", wf.Metadata.Namespace, wf.Metadata.Name, req.node))
		return
	}
	art := nodeArtifact(&node, req.direction, req.name)
	what := fmt.Sprintf("%s artifact %q of node %s of workflow %s/%s", strings.TrimSuffix(req.direction, "s"), req.name,
		req.node, wf.Metadata.Namespace, wf.Metadata.Name)
	switch {
	case art == nil:
		writeError(w, codeNotFound, fmt.Sprintf("node %s of workflow %s/%s has no %s artifact %q", req.node,
			wf.Metadata.Namespace, wf.Metadata.Name, strings.TrimSuffix(req.direction, "s"), req.name))
		return
	case art.Deleted:
		writeError(w, codeNotFound, what+" was deleted by its artifact garbage collection")
		return
	case art.Raw != nil && req.file == "" && !req.listing:
		setDownloadHeaders(w, art.Name, int64(len(art.Raw.Data)))
		_, _ = io.WriteString(w, art.Raw.Data)
		return
	case art.S3 == nil || art.S3.Key == "":
		writeUnimplemented(w, what+" comes from a "+locationKind(art)+" location: semaflow serves artifacts from its repositories (local or s3) only")
		return
	}
	if art.S3.Bucket == "" && art.S3.Endpoint == "" {
		// The local repository is on the disk of the node that ran the step.
		if err := s.eng.ArtifactsElsewhere(r.Context(), wf); err != nil {
			s.artifactsElsewhere(w, r, what, err)
			return
		}
	}
	d, key, where, err := s.eng.OpenArtifact(wf, art.S3)
	if err != nil {
		writeError(w, codeInternal, fmt.Sprintf("%s: %v", what, err))
		return
	}
	// Messages name the key the user knows, not where the repository
	// keeps it (the local one under the namespace's directory).
	shown := art.S3.Key
	if req.file != "" {
		key += "/" + req.file
		shown += "/" + req.file
		what += " file " + req.file
	}
	if req.listing {
		s.listArtifact(w, r, d, key, shown, what, where)
		return
	}
	op, ok := d.(artifacts.Opener)
	if !ok {
		writeUnimplemented(w, what+": "+where+" cannot stream it")
		return
	}
	rc, info, err := op.Open(r.Context(), key)
	switch {
	case errors.Is(err, artifacts.ErrIsTree) && browse:
		// Argo sends a directory to its listing.
		w.Header().Set("Location", r.URL.EscapedPath()+"/")
		w.WriteHeader(http.StatusTemporaryRedirect)
		return
	case errors.Is(err, artifacts.ErrIsTree):
		writeError(w, codeState, fmt.Sprintf("%s is a directory stored without an archive (archive: none): its files are listed at "+
			"/artifact-files/%s/%s/%s/%s/%s/%s/", what, wf.Metadata.Namespace, req.kind, req.id, req.node, req.direction, req.name))
		return
	case errors.Is(err, artifacts.ErrNotFound), errors.Is(err, artifacts.ErrBadKey):
		writeError(w, codeNotFound, fmt.Sprintf("%s: nothing is stored under key %s in %s", what, shown, where))
		return
	case err != nil:
		writeError(w, codeInternal, fmt.Sprintf("%s: %v", what, err))
		return
	}
	defer rc.Close()
	setDownloadHeaders(w, path.Base(key), info.Size)
	if _, err := io.Copy(w, rc); err != nil && s.log != nil {
		// The status is sent: the client sees a short body.
		s.log.Warn("artifact download cut short", "artifact", what, "err", err)
	}
}

// artifactWorkflow is the live or archived workflow a request names,
// within the token's namespaces; it answers 404 or 403 itself.
func (s *Server) artifactWorkflow(w http.ResponseWriter, r *http.Request, req artifactRequest) (*wfv1.Workflow, bool) {
	var wf *wfv1.Workflow
	var err error
	switch req.kind {
	case "workflows":
		wf, err = s.eng.Get(r.Context(), req.namespace, req.id)
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, codeNotFound, fmt.Sprintf("workflow %s/%s not found", req.namespace, req.id))
			return nil, false
		}
	case "archived-workflows":
		wf, err = s.eng.GetArchived(r.Context(), req.id)
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, codeNotFound, fmt.Sprintf("no archived workflow has UID %s", req.id))
			return nil, false
		}
	default:
		writeError(w, codeInvalid, fmt.Sprintf("%q: the path names workflows or archived-workflows", req.kind))
		return nil, false
	}
	if err != nil {
		writeStoreError(w, err)
		return nil, false
	}
	// The token's scope was checked against the path; the workflow's own
	// namespace is what counts (a UID names none in the path).
	if allowed := tokenNamespaces(r.Context()); len(allowed) > 0 && !slices.Contains(allowed, wf.Metadata.Namespace) {
		writeError(w, codeDenied, "this token may only act in namespaces "+strings.Join(allowed, ", "))
		return nil, false
	}
	if req.namespace != "" && wf.Metadata.Namespace != req.namespace {
		writeError(w, codeNotFound, fmt.Sprintf("no archived workflow has UID %s in namespace %s", req.id, req.namespace))
		return nil, false
	}
	return wf, true
}

// nodeArtifact is the node's input or output artifact name, or nil.
func nodeArtifact(n *wfv1.NodeStatus, direction, name string) *wfv1.Artifact {
	var list []wfv1.Artifact
	switch {
	case direction == "inputs" && n.Inputs != nil:
		list = n.Inputs.Artifacts
	case direction == "outputs" && n.Outputs != nil:
		list = n.Outputs.Artifacts
	}
	for i := range list {
		if list[i].Name == name {
			return &list[i]
		}
	}
	return nil
}

// locationKind names where an artifact without an s3 location is from.
func locationKind(a *wfv1.Artifact) string {
	l := &a.ArtifactLocation
	for _, k := range []struct {
		set  bool
		name string
	}{{l.Git != nil, "git"}, {l.HTTP != nil, "http"}, {l.Raw != nil, "raw"}, {l.Artifactory != nil, "artifactory"},
		{l.HDFS != nil, "hdfs"}, {l.OSS != nil, "oss"}, {l.GCS != nil, "gcs"}, {l.Azure != nil, "azure"}, {l.Plugin != nil, "plugin"}} {
		if k.set {
			return k.name
		}
	}
	return "keyless"
}

// checkArtifactFile refuses a file path under an unarchived directory
// that could leave it: it must be relative, slash-separated names.
func checkArtifactFile(file string) error {
	if len(file) > artifacts.MaxKeyLen {
		return fmt.Errorf("file path longer than %d bytes", artifacts.MaxKeyLen)
	}
	for _, part := range strings.Split(file, "/") {
		if part == "" || part == "." || part == ".." || strings.ContainsAny(part, "\x00\\") {
			return fmt.Errorf("file path %q: each part must be a name (no empty, \".\" or \"..\" part, no NUL or backslash)", file)
		}
	}
	return nil
}

// setDownloadHeaders names the download as Argo does (filename only, no
// disposition type) and sandboxes it: an HTML artifact served from the
// API's origin must not run script there.
func setDownloadHeaders(w http.ResponseWriter, name string, size int64) {
	h := w.Header()
	h.Set("Content-Disposition", `filename="`+safeFilename(name)+`"`)
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	h.Set("X-Content-Type-Options", "nosniff")
	setSandboxHeaders(w)
}

// setSandboxHeaders are Argo's artifact server's security headers.
func setSandboxHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", "sandbox allow-same-origin; base-uri 'none'; default-src 'none'; img-src 'self'; style-src 'self' 'unsafe-inline'")
	w.Header().Set("X-Frame-Options", "SAMEORIGIN")
}

// safeFilename keeps a key's last part fit for a quoted header value.
func safeFilename(name string) string {
	return strings.Map(func(c rune) rune {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return '_'
		}
		return c
	}, name)
}

var listingEntry = template.Must(template.New("entry").Parse(`<li><a href="./{{.}}">{{.}}</a></li>` + "\n"))

// listArtifact answers artifact-files' listing of an unarchived
// directory as Argo does: an HTML list of its files and first-level
// directories, or a redirect to its index.html.
func (s *Server) listArtifact(w http.ResponseWriter, r *http.Request, d artifacts.Driver, key, shown, what, where string) {
	l, ok := d.(artifacts.Lister)
	if !ok {
		writeUnimplemented(w, what+": "+where+" cannot list it")
		return
	}
	keys, err := l.List(r.Context(), key)
	switch {
	case errors.Is(err, artifacts.ErrNotFound), errors.Is(err, artifacts.ErrBadKey):
		writeError(w, codeNotFound, fmt.Sprintf("%s: nothing is stored under key %s in %s", what, shown, where))
		return
	case err != nil:
		writeError(w, codeInternal, fmt.Sprintf("%s: %v", what, err))
		return
	}
	if len(keys) == 1 && keys[0] == key {
		writeError(w, codeState, what+" is a file, not a directory: ask for it without the trailing slash")
		return
	}
	var b strings.Builder
	b.WriteString("<html><body><ul>\n<li><a href=\"..\">..</a></li>\n")
	seen := map[string]bool{}
	for _, k := range keys {
		rel := strings.TrimPrefix(k, key+"/")
		entry := rel
		if i := strings.Index(rel, "/"); i >= 0 {
			entry = rel[:i+1]
		}
		if entry == "index.html" {
			w.Header().Set("Location", r.URL.EscapedPath()+"index.html")
			w.WriteHeader(http.StatusTemporaryRedirect)
			return
		}
		if seen[entry] {
			continue
		}
		seen[entry] = true
		_ = listingEntry.Execute(&b, entry)
	}
	b.WriteString("</ul></body></html>\n")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	setSandboxHeaders(w)
	_, _ = io.WriteString(w, b.String())
}

// artifactsElsewhere answers for an artifact kept in the local repository
// of another node: it sends the request there while that node serves,
// or says where the artifact is.
func (s *Server) artifactsElsewhere(w http.ResponseWriter, r *http.Request, what string, err error) {
	var ee *engine.ElsewhereError
	if !errors.As(err, &ee) {
		writeStoreError(w, err)
		return
	}
	switch {
	case ee.Live && ee.Addr == "":
		writeError(w, codeAborted, fmt.Sprintf("%s is in the artifact repository of node %s, a semaflow run, which serves no API", what, ee.Node))
	case !ee.Live:
		writeError(w, codeNotFound, fmt.Sprintf("%s is in the artifact repository of node %s, which is not running (its lease ended at %s)",
			what, ee.Node, ee.Ended.Local().Format(time.TimeOnly)))
	default:
		s.forward(w, r, ee, true)
	}
}

// artifactNamespace is the namespace a download path names, for the
// token check: open for the by-uid paths, whose handler checks the
// workflow's. ok is false for other paths.
func artifactNamespace(p string) (ns string, open, ok bool) {
	for _, prefix := range artifactPrefixes {
		rest, found := strings.CutPrefix(p, prefix)
		if !found {
			continue
		}
		if strings.HasSuffix(prefix, "-by-uid/") {
			return "", true, true
		}
		ns, _, _ = strings.Cut(rest, "/")
		return ns, false, true
	}
	return "", false, false
}
