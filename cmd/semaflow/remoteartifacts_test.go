package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/testkit/weed"
)

// Remote artifacts end to end, with the built binary: S3 against a real
// SeaweedFS, a dead S3 endpoint, git from a local repository, http from a
// local server, and artifact GC.

// weedRepo is an artifact-repositories ConfigMap whose default is w's
// bucket, with credentials from the secret weed-cred.
func weedRepo(w *weed.Weed) string {
	return fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata:
  name: artifact-repositories
  annotations:
    workflows.argoproj.io/default-artifact-repository: weed
data:
  weed: |
    s3:
      endpoint: %s
      bucket: %s
      insecure: true
      accessKeySecret: {name: weed-cred, key: accesskey}
      secretKeySecret: {name: weed-cred, key: secretkey}
---
`, w.Endpoint, w.Bucket)
}

// weedSecrets is a --secrets-dir holding weed-cred in namespace default.
func weedSecrets(t *testing.T, w *weed.Weed) string {
	t.Helper()
	dir := t.TempDir()
	cred := filepath.Join(dir, "default", "weed-cred")
	if err := os.MkdirAll(cred, 0o700); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"accesskey": w.AccessKey, "secretkey": w.SecretKey} {
		if err := os.WriteFile(filepath.Join(cred, k), []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runEnvJSON is runWorkflowJSON with extra environment for the engine.
func runEnvJSON(t *testing.T, manifest string, env []string, flags ...string) (*wfv1.Workflow, string) {
	t.Helper()
	path := writeFile(t, "wf.yaml", manifest)
	cmd := exec.Command(binary, append(append([]string{"run", "-o", "json"}, flags...), path)...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("semaflow run: %v", err)
	}
	var wf wfv1.Workflow
	if err := json.Unmarshal(stdout.Bytes(), &wf); err != nil {
		t.Fatalf("run -o json printed no workflow (%v):\n%s\n%s", err, stdout.String(), stderr.String())
	}
	return &wf, stderr.String()
}

func resultOf(t *testing.T, wf *wfv1.Workflow, step string) string {
	t.Helper()
	n := nodeByDisplayName(t, wf, step)
	if n.Outputs == nil || n.Outputs.Result == nil {
		t.Fatalf("step %s has no result (phase %s: %s)", step, n.Phase, n.Message)
	}
	return strings.TrimSpace(*n.Outputs.Result)
}

// An output goes to the namespace's default S3 repository and a later
// step reads it back; a step reads an object by its full s3 location.
func TestS3ArtifactRoundTripAgainstWeed(t *testing.T) {
	w := weed.Start(t)
	w.Put(t, "fixtures/f.txt", []byte("a fixture in s3\n"))
	wf, stderr := runEnvJSON(t, weedRepo(w)+fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: s3-trip}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: produce, template: produce}
    - - name: consume
        template: consume
        arguments: {artifacts: [{name: in, from: "{{steps.produce.outputs.artifacts.out}}"}]}
      - {name: fixture, template: fixture}
  - name: produce
    container: {image: busybox, command: [sh, -c, "mkdir -p /tmp/d && echo s3 round trip > /tmp/d/out.txt"]}
    outputs: {artifacts: [{name: out, path: /tmp/d}]}
  - name: consume
    inputs: {artifacts: [{name: in, path: /tmp/in}]}
    container: {image: busybox, command: [cat, /tmp/in/out.txt]}
  - name: fixture
    inputs:
      artifacts:
      - name: f
        path: /tmp/f.txt
        s3:
          endpoint: %s
          bucket: %s
          key: fixtures/f.txt
          insecure: true
          accessKeySecret: {name: weed-cred, key: accesskey}
          secretKeySecret: {name: weed-cred, key: secretkey}
    container: {image: busybox, command: [cat, /tmp/f.txt]}
`, w.Endpoint, w.Bucket), nil, "--secrets-dir", weedSecrets(t, w))
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s: %s\n%s\nweed:\n%s", wf.Status.Phase, wf.Status.Message, stderr, w.Log())
	}
	if got := resultOf(t, wf, "consume"); got != "s3 round trip" {
		t.Errorf("consume read %q", got)
	}
	if got := resultOf(t, wf, "fixture"); got != "a fixture in s3" {
		t.Errorf("fixture read %q", got)
	}
	keys := w.Keys(t, "s3-trip/")
	if len(keys) != 1 || !strings.HasSuffix(keys[0], ".tgz") {
		t.Fatalf("the bucket holds %v under s3-trip/, want the one archived output", keys)
	}
}

// deadEndpoint is a loopback address nothing listens on.
func deadEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// An output to a dead S3 endpoint fails its step, naming the artifact and
// the endpoint; so does an input from it. Neither hangs.
func TestS3DeadEndpointFailsTheStep(t *testing.T) {
	dead := deadEndpoint(t)
	for name, tmpl := range map[string]string{
		"output": `container: {image: busybox, command: [sh, -c, "echo x > /tmp/out.txt"]}
    outputs: {artifacts: [{name: lost, path: /tmp/out.txt, s3: {endpoint: ` + dead + `, bucket: nowhere, key: k.txt, insecure: true}}]}`,
		"input": `inputs: {artifacts: [{name: lost, path: /tmp/in.txt, s3: {endpoint: ` + dead + `, bucket: nowhere, key: k.txt, insecure: true}}]}
    container: {image: busybox, command: [cat, /tmp/in.txt]}`,
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			wf, stderr := runWorkflowJSON(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: dead-s3}
spec:
  entrypoint: main
  templates:
  - name: main
    `+tmpl+"\n")
			n := nodeByDisplayName(t, wf, "dead-s3")
			if wf.Status.Phase != wfv1.PhaseFailed && wf.Status.Phase != wfv1.PhaseError {
				t.Fatalf("phase %s, want Failed: %s\n%s", wf.Status.Phase, n.Message, stderr)
			}
			for _, want := range []string{`"lost"`, dead} {
				if !strings.Contains(n.Message, want) {
					t.Errorf("message %q does not name %s", n.Message, want)
				}
			}
			t.Logf("failed in %s: %s", time.Since(start).Round(time.Millisecond), n.Message)
		})
	}
}

// A git input from a local repository, at a revision.
func TestGitInputArtifactFromLocalRepository(t *testing.T) {
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
	if err := os.WriteFile(filepath.Join(dir, "v.txt"), []byte("one\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", "v.txt")
	git("commit", "-q", "-m", "one")
	first := git("rev-parse", "HEAD")
	if err := os.WriteFile(filepath.Join(dir, "v.txt"), []byte("two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("commit", "-q", "-am", "two")
	wf, stderr := runWorkflowJSON(t, fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: git-in}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: head, template: show}
      - name: old
        template: show
        arguments: {parameters: [{name: rev, value: %s}]}
  - name: show
    inputs:
      parameters: [{name: rev, value: main}]
      artifacts: [{name: src, path: /tmp/src, git: {repo: %q, revision: "{{inputs.parameters.rev}}", depth: 1}}]
    container: {image: alpine/git, command: [cat, /tmp/src/v.txt]}
`, first, dir))
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s: %s\n%s", wf.Status.Phase, wf.Status.Message, stderr)
	}
	if got := resultOf(t, wf, "head"); got != "two" {
		t.Errorf("at main: %q", got)
	}
	if got := resultOf(t, wf, "old"); got != "one" {
		t.Errorf("at %s: %q", first, got)
	}
}

// An http input from a local server, with a header; a 404 fails the step
// naming the artifact.
func TestHTTPInputArtifactFromLocalServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/data.txt" || r.Header.Get("X-Token") != "let-me-in" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "served over http\n")
	}))
	defer srv.Close()
	wf, stderr := runWorkflowJSON(t, fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: http-in}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: get, template: get}
  - name: get
    inputs:
      artifacts: [{name: data, path: /tmp/data.txt, http: {url: "%s/data.txt", headers: [{name: X-Token, value: let-me-in}]}}]
    container: {image: busybox, command: [cat, /tmp/data.txt]}
`, srv.URL))
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s: %s\n%s", wf.Status.Phase, wf.Status.Message, stderr)
	}
	if got := resultOf(t, wf, "get"); got != "served over http" {
		t.Errorf("read %q", got)
	}
	wf, _ = runWorkflowJSON(t, fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: http-missing}
spec:
  entrypoint: main
  templates:
  - name: main
    inputs: {artifacts: [{name: data, path: /tmp/data.txt, http: {url: "%s/nope"}}]}
    container: {image: busybox, command: [cat, /tmp/data.txt]}
`, srv.URL))
	n := nodeByDisplayName(t, wf, "http-missing")
	if wf.Status.Phase == wfv1.PhaseSucceeded || !strings.Contains(n.Message, `"data"`) || !strings.Contains(n.Message, "404") {
		t.Fatalf("phase %s, message %q: want a failure naming the artifact and the 404", wf.Status.Phase, n.Message)
	}
}

// gcManifest is Argo's artifact-gc-workflow example, keyed under prefix.
func gcManifest(name, prefix string) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: %s}
spec:
  entrypoint: main
  artifactGC: {strategy: OnWorkflowDeletion}
  templates:
  - name: main
    container: {image: argoproj/argosay:v2, command: [sh, -c], args: ["echo hello > /tmp/on-completion.txt; echo hello > /tmp/on-deletion.txt"]}
    outputs:
      artifacts:
      - {name: on-completion, path: /tmp/on-completion.txt, s3: {key: %[2]s/on-completion.txt}, artifactGC: {strategy: OnWorkflowCompletion}}
      - {name: on-deletion, path: /tmp/on-deletion.txt, s3: {key: %[2]s/on-deletion.txt}}
`, name, prefix)
}

// OnWorkflowCompletion artifacts are deleted when the workflow ends and
// marked deleted; OnWorkflowDeletion ones stay until it is deleted.
func TestArtifactGCOnCompletionAgainstWeed(t *testing.T) {
	w := weed.Start(t)
	wf, stderr := runEnvJSON(t, weedRepo(w)+gcManifest("gc-run", "gc-run"), nil, "--secrets-dir", weedSecrets(t, w))
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("phase %s: %s\n%s", wf.Status.Phase, wf.Status.Message, stderr)
	}
	if keys := w.Keys(t, "gc-run/"); len(keys) != 1 || keys[0] != "gc-run/on-deletion.txt" {
		t.Fatalf("the bucket holds %v, want only gc-run/on-deletion.txt", keys)
	}
	n := nodeByDisplayName(t, wf, "gc-run")
	deleted := map[string]bool{}
	for _, a := range n.Outputs.Artifacts {
		deleted[a.Name] = a.Deleted
	}
	if !deleted["on-completion"] || deleted["on-deletion"] {
		t.Fatalf("deleted marks %v, want on-completion only", deleted)
	}
}

// Deleting the workflow deletes its OnWorkflowDeletion artifacts, off
// the request path: the delete answers at once, and the workflow goes
// once they are deleted. When that fails (S3 frozen: it accepts and never
// answers) the workflow is kept with Argo's ArtifactGCError condition,
// and a second delete removes it anyway.
func TestArtifactGCOnDeletionAgainstWeed(t *testing.T) {
	w := weed.Start(t)
	// A server refuses loopback for workflows unless allowed.
	s := startServer(t, "--db", filepath.Join(t.TempDir(), "db"), "--http-template-allow", "127.0.0.1", "--secrets-dir", weedSecrets(t, w))
	t.Setenv("SEMAFLOW_SERVER", s.url)
	if out, code := run(t, "apply", "-f", writeFile(t, "repo.yaml", weedRepo(w))); code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, out)
	}
	for _, name := range []string{"gc-ok", "gc-fail"} {
		if out, code := run(t, "submit", "--wait", writeFile(t, name+".yaml", gcManifest(name, name))); code != 0 {
			t.Fatalf("submit %s: exit %d\n%s", name, code, out)
		}
		if keys := w.Keys(t, name+"/"); len(keys) != 1 {
			t.Fatalf("after %s ended the bucket holds %v, want its on-deletion artifact", name, keys)
		}
	}
	gone := func(name string) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Minute)
		for {
			if _, code := run(t, "get", name); code != 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s is still there 3 minutes after its delete", name)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	if out, code := run(t, "delete", "gc-ok"); code != 0 {
		t.Fatalf("delete gc-ok: exit %d\n%s", code, out)
	}
	gone("gc-ok")
	if keys := w.Keys(t, "gc-ok/"); len(keys) != 0 {
		t.Fatalf("after deleting gc-ok the bucket holds %v", keys)
	}
	w.Freeze()
	defer w.Stop()
	start := time.Now()
	if out, code := run(t, "delete", "gc-fail"); code != 0 {
		t.Fatalf("delete with S3 frozen: exit %d after %s, want the delete accepted at once (GC runs off the request path)\n%s", code, time.Since(start), out)
	}
	answered := time.Since(start)
	deadline := time.Now().Add(4 * time.Minute)
	var out string
	for {
		var code int
		out, code = run(t, "get", "gc-fail", "-o", "json")
		if code == 0 && strings.Contains(out, "ArtifactGCError") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ArtifactGCError condition 4 minutes after a delete with S3 frozen (exit %d):\n%s", code, out)
		}
		time.Sleep(time.Second)
	}
	if !strings.Contains(out, `on-deletion`) || !strings.Contains(out, w.Endpoint) {
		t.Fatalf("the condition does not name the artifact and %s:\n%s", w.Endpoint, out)
	}
	t.Logf("delete answered in %s; the GC failure was recorded %s after it", answered, time.Since(start))
	if out, code := run(t, "delete", "gc-fail"); code != 0 {
		t.Fatalf("second delete: exit %d\n%s", code, out)
	}
	gone("gc-fail")
}

// The corpus's artifact-repository-ref.yaml (key my-key) and
// artifact-gc-workflow.yaml, as Argo's own tests run them: with an
// artifact-repositories ConfigMap whose entries are a real S3 bucket.
func TestCorpusRemoteArtifactsAgainstWeed(t *testing.T) {
	dir := corpusDir(t)
	w := weed.Start(t)
	repo := strings.Replace(weedRepo(w), "  weed: |\n", "  my-key: |\n", 1)
	repo = strings.Replace(repo, "default-artifact-repository: weed", "default-artifact-repository: my-key", 1)
	cm := writeFile(t, "repo.yaml", strings.TrimSuffix(repo, "---\n"))
	secrets := weedSecrets(t, w)
	for _, file := range []string{"artifact-repository-ref.yaml", "artifact-gc-workflow.yaml"} {
		t.Run(file, func(t *testing.T) {
			cmd := exec.Command(binary, "run", "-o", "json", "--secrets-dir", secrets, cm, filepath.Join(dir, "argo-examples", file))
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			_ = cmd.Run()
			var wf wfv1.Workflow
			if err := json.Unmarshal(stdout.Bytes(), &wf); err != nil {
				t.Fatalf("no workflow printed (%v):\n%s", err, stderr.String())
			}
			if wf.Status.Phase != wfv1.PhaseSucceeded {
				t.Fatalf("phase %s: %s\n%s", wf.Status.Phase, wf.Status.Message, stderr.String())
			}
			switch file {
			case "artifact-repository-ref.yaml":
				name := wf.Metadata.Name
				if keys := w.Keys(t, name+"/"); len(keys) != 1 || keys[0] != name+"/"+name+"/hello_world.tgz" {
					t.Fatalf("bucket holds %v, want %s/%s/hello_world.tgz", keys, name, name)
				}
			case "artifact-gc-workflow.yaml":
				if keys := w.Keys(t, "on-"); len(keys) != 1 || keys[0] != "on-deletion.txt" {
					t.Fatalf("bucket holds %v, want only on-deletion.txt (on-completion.txt collected)", keys)
				}
			}
		})
	}
}

// A server's workflows reach no loopback address through their
// artifacts (it is the server's own host), as its http templates do not:
// not an http URL, an S3 endpoint, nor a git repository on its disk.
func TestServerRefusesLoopbackArtifacts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "secret") }))
	defer srv.Close()
	s := startServer(t, "--db", filepath.Join(t.TempDir(), "db"))
	t.Setenv("SEMAFLOW_SERVER", s.url)
	for name, input := range map[string]string{
		"http-in": fmt.Sprintf(`http: {url: "%s/x"}`, srv.URL),
		"s3-in":   `s3: {endpoint: "` + srv.Listener.Addr().String() + `", bucket: bucket, key: k, insecure: true}`,
		"git-in":  `git: {repo: "` + t.TempDir() + `"}`,
	} {
		file := writeFile(t, name+".yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: `+name+`}
spec:
  entrypoint: main
  templates:
  - name: main
    inputs: {artifacts: [{name: data, path: /tmp/data, `+input+`}]}
    container: {image: busybox, command: [cat, /tmp/data]}
`)
		if out, code := run(t, "submit", "--wait", file); code == 0 {
			t.Fatalf("%s: submit --wait succeeded:\n%s", name, out)
		}
		out, _ := run(t, "get", name, "-o", "json")
		if !strings.Contains(out, `input artifact \"data\"`) || !strings.Contains(out, "--http-template-allow") {
			t.Errorf("%s: want a failure naming the artifact and --http-template-allow:\n%s", name, out)
		}
	}
}
