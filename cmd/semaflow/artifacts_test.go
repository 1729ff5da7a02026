package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// outputArtifact is the node's recorded output artifact name, or fails.
func outputArtifact(t *testing.T, n wfv1.NodeStatus, name string) wfv1.Artifact {
	t.Helper()
	if n.Outputs != nil {
		for _, a := range n.Outputs.Artifacts {
			if a.Name == name {
				return a
			}
		}
	}
	t.Fatalf("node %s has no output artifact %q: %+v", n.DisplayName, name, n.Outputs)
	return wfv1.Artifact{}
}

func result(n wfv1.NodeStatus) string {
	if n.Outputs == nil || n.Outputs.Result == nil {
		return ""
	}
	return *n.Outputs.Result
}

// Artifacts pass between steps: a file (tar+gzip by default, under
// Argo's default key), a directory, a directory kept unarchived and read
// through subPath, with the path placeholders substituted; each output is
// recorded on its node with its key, and is in the repository that
// --artifact-repository names.
func TestArtifactPassingSteps(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	wf, stderr := runWorkflowJSON(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: art-steps}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: gen, template: gen}
    - - name: use-file
        template: cat
        arguments: {artifacts: [{name: in, from: "{{steps.gen.outputs.artifacts.file}}"}]}
      - name: use-dir
        template: ls
        arguments: {artifacts: [{name: in, from: "{{steps.gen.outputs.artifacts.dir}}"}]}
      - name: use-sub
        template: cat
        arguments: {artifacts: [{name: in, from: "{{steps.gen.outputs.artifacts.plain}}", subPath: b/c.txt}]}
  - name: gen
    container:
      image: alpine
      command: [sh, -c]
      args: ["echo hello > {{outputs.artifacts.file.path}}; mkdir -p /tmp/d/sub /tmp/r/b; echo one > /tmp/d/one; echo two > /tmp/d/sub/two; echo deep > /tmp/r/b/c.txt"]
    outputs:
      artifacts:
      - {name: file, path: /tmp/hello.txt}
      - {name: dir, path: /tmp/d}
      - {name: plain, path: /tmp/r, archive: {none: {}}}
  - name: cat
    inputs: {artifacts: [{name: in, path: /tmp/in/file.txt}]}
    container: {image: alpine, command: [sh, -c, "cat {{inputs.artifacts.in.path}}"]}
  - name: ls
    inputs: {artifacts: [{name: in, path: /tmp/in}]}
    container: {image: alpine, command: [sh, -c, "cat /tmp/in/one /tmp/in/sub/two"]}
`, "--artifact-repository", repo)
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("workflow %s: %s\n%s", wf.Status.Phase, wf.Status.Message, stderr)
	}
	gen := nodeByDisplayName(t, wf, "gen")
	file := outputArtifact(t, gen, "file")
	if file.S3 == nil || file.S3.Key != "art-steps/"+gen.ID+"/file.tgz" || file.Path != "/tmp/hello.txt" {
		t.Fatalf("file artifact recorded as %+v (s3 %+v)", file, file.S3)
	}
	if _, err := os.Stat(filepath.Join(repo, "_ns", "default", filepath.FromSlash(file.S3.Key))); err != nil {
		t.Fatalf("the file artifact is not in the repository: %v", err)
	}
	for name, want := range map[string]string{"use-file": "hello", "use-dir": "one\ntwo", "use-sub": "deep"} {
		if n := nodeByDisplayName(t, wf, name); n.Phase != wfv1.PhaseSucceeded || result(n) != want {
			t.Errorf("%s: %s %q, result %q (want %q)", name, n.Phase, n.Message, result(n), want)
		}
	}
}

// Artifacts pass between DAG tasks, by from and by fromExpression, and
// a DAG template's own output artifact (from a task's) reaches the step
// after it.
func TestArtifactPassingDAG(t *testing.T) {
	wf, stderr := runWorkflowJSON(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: art-dag}
spec:
  entrypoint: top
  templates:
  - name: top
    steps:
    - - {name: inner, template: main}
    - - name: last
        template: cat
        arguments: {artifacts: [{name: in, from: "{{steps.inner.outputs.artifacts.out}}"}]}
  - name: main
    dag:
      tasks:
      - {name: a, template: gen}
      - {name: b, template: cat, dependencies: [a], arguments: {artifacts: [{name: in, from: "{{tasks.a.outputs.artifacts.file}}"}]}}
      - {name: c, template: cat, dependencies: [a], arguments: {artifacts: [{name: in, fromExpression: "tasks.a.outputs.artifacts.file"}]}}
    outputs:
      artifacts:
      - {name: out, from: "{{tasks.a.outputs.artifacts.file}}"}
  - name: gen
    container: {image: alpine, command: [sh, -c, "echo from-a > /tmp/f"]}
    outputs: {artifacts: [{name: file, path: /tmp/f}]}
  - name: cat
    inputs: {artifacts: [{name: in, path: /tmp/in.txt}]}
    container: {image: alpine, command: [cat, /tmp/in.txt]}
`)
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("workflow %s: %s\n%s", wf.Status.Phase, wf.Status.Message, stderr)
	}
	for _, name := range []string{"b", "c", "last"} {
		if n := nodeByDisplayName(t, wf, name); n.Phase != wfv1.PhaseSucceeded || result(n) != "from-a" {
			t.Errorf("%s: %s %q, result %q", name, n.Phase, n.Message, result(n))
		}
	}
	outputArtifact(t, nodeByDisplayName(t, wf, "inner"), "out")
}

// An optional output that the step did not write is left out, and the
// step succeeds; an optional input nobody supplies is absent. A missing
// output that is not optional fails its step with a message naming the
// artifact and the path, never Succeeded with the artifact dropped.
func TestArtifactOptionalAndMissing(t *testing.T) {
	wf, stderr := runWorkflowJSON(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: art-missing}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: optional, template: optional}
      - {name: no-input, template: no-input}
      - {name: missing, template: missing}
  - name: optional
    container: {image: alpine, command: [sh, -c, "echo ran"]}
    outputs: {artifacts: [{name: maybe, path: /tmp/nothing, optional: true}]}
  - name: no-input
    inputs: {artifacts: [{name: in, path: /tmp/in, optional: true}]}
    container: {image: alpine, command: [sh, -c, "test ! -e /tmp/in && echo absent"]}
  - name: missing
    container: {image: alpine, command: [sh, -c, "echo ran"]}
    outputs: {artifacts: [{name: result, path: /tmp/out.txt}]}
`)
	if wf.Status.Phase != wfv1.PhaseFailed {
		t.Fatalf("workflow %s (want Failed: missing has no output): %s\n%s", wf.Status.Phase, wf.Status.Message, stderr)
	}
	opt := nodeByDisplayName(t, wf, "optional")
	if opt.Phase != wfv1.PhaseSucceeded || (opt.Outputs != nil && len(opt.Outputs.Artifacts) != 0) {
		t.Fatalf("optional: %s %q %+v", opt.Phase, opt.Message, opt.Outputs)
	}
	if n := nodeByDisplayName(t, wf, "no-input"); n.Phase != wfv1.PhaseSucceeded || result(n) != "absent" {
		t.Fatalf("no-input: %s %q %q", n.Phase, n.Message, result(n))
	}
	m := nodeByDisplayName(t, wf, "missing")
	if m.Phase == wfv1.PhaseSucceeded || !strings.Contains(m.Message, `output artifact "result"`) || !strings.Contains(m.Message, "/tmp/out.txt") {
		t.Fatalf("missing: %s %q", m.Phase, m.Message)
	}
}

// Keys and paths from a manifest are hostile: a key that climbs out of
// the repository fails the step naming the artifact; an output that is
// a link to a file only root reads is not read for a step user; a link
// inside a directory artifact stays a link, never the file it names.
func TestArtifactHostileKeysAndPaths(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run steps as a step user")
	}
	// Outside /tmp and the scratch directories, where the step sees the
	// host's files: only root may read it.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	sdir, err := os.MkdirTemp(wd, "secret-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(sdir) })
	if err := os.Chmod(sdir, 0o755); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(sdir, "secret")
	if err := os.WriteFile(secret, []byte("root-only"), 0o600); err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(t.TempDir(), "repo")
	wf, stderr := runWorkflowJSON(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: art-hostile}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: out-key, template: out-key, continueOn: {failed: true, error: true}}
      - {name: in-key, template: in-key, continueOn: {failed: true, error: true}}
      - {name: link, template: link, continueOn: {failed: true, error: true}}
      - {name: direct, template: direct, continueOn: {failed: true, error: true}}
      - {name: dir-link, template: dir-link}
    - - name: read-dir
        template: read-dir
        arguments: {artifacts: [{name: in, from: "{{steps.dir-link.outputs.artifacts.d}}"}]}
  - name: out-key
    container: {image: alpine, command: [sh, -c, "echo x > /tmp/x"]}
    outputs: {artifacts: [{name: escape, path: /tmp/x, s3: {key: "../../escaped.txt"}}]}
  - name: in-key
    inputs: {artifacts: [{name: passwd, path: /tmp/p, s3: {key: "/etc/passwd"}}]}
    container: {image: alpine, command: [cat, /tmp/p]}
  - name: link
    container: {image: alpine, command: [sh, -c, "ln -s `+secret+` /tmp/l"]}
    outputs: {artifacts: [{name: stolen, path: /tmp/l}]}
  - name: direct
    container: {image: alpine, command: [sh, -c, "true"]}
    outputs: {artifacts: [{name: direct, path: `+secret+`}]}
  - name: dir-link
    container: {image: alpine, command: [sh, -c, "mkdir /tmp/d && ln -s `+secret+` /tmp/d/s && echo ok > /tmp/d/f"]}
    outputs: {artifacts: [{name: d, path: /tmp/d}]}
  - name: read-dir
    inputs: {artifacts: [{name: in, path: /tmp/in}]}
    container: {image: alpine, command: [sh, -c, "cat /tmp/in/f; readlink /tmp/in/s; cat /tmp/in/s || true"]}
`, "--no-lint", "--step-user", "nobody", "--artifact-repository", repo) // lint reports the keys; this is the engine's own refusal
	for name, want := range map[string]string{"out-key": `output artifact "escape"`, "in-key": `input artifact "passwd"`, "link": `output artifact "stolen"`, "direct": `output artifact "direct"`} {
		if n := nodeByDisplayName(t, wf, name); n.Phase == wfv1.PhaseSucceeded || !strings.Contains(n.Message, want) {
			t.Errorf("%s: %s %q (want a failure naming %s)", name, n.Phase, n.Message, want)
		}
	}
	for _, name := range []string{"out-key", "in-key", "link", "direct"} {
		t.Logf("%s: %s", name, nodeByDisplayName(t, wf, name).Message)
	}
	if t.Failed() {
		t.Logf("stderr:\n%s", stderr)
	}
	rd := nodeByDisplayName(t, wf, "read-dir")
	if rd.Phase != wfv1.PhaseSucceeded || !strings.Contains(result(rd), "ok\n"+secret) || strings.Contains(result(rd), "root-only") {
		t.Errorf("read-dir: %s %q, result %q", rd.Phase, rd.Message, result(rd))
	}
	err = filepath.Walk(filepath.Dir(repo), func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Name() == "escaped.txt" {
			t.Errorf("a key escaped the repository: %s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// archiveLogs (the workflow's, or a template's archiveLocation) keeps a
// step's log as its main-logs output artifact.
func TestArtifactArchiveLogs(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	wf, stderr := runWorkflowJSON(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: art-logs}
spec:
  entrypoint: main
  archiveLogs: true
  templates:
  - name: main
    container: {image: alpine, command: [echo, hello logs]}
`, "--artifact-repository", repo)
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("workflow %s: %s\n%s", wf.Status.Phase, wf.Status.Message, stderr)
	}
	logs := outputArtifact(t, nodeByDisplayName(t, wf, "art-logs"), "main-logs")
	if logs.S3 == nil || !strings.HasSuffix(logs.S3.Key, "/main.log") {
		t.Fatalf("main-logs recorded as %+v", logs)
	}
	b, err := os.ReadFile(filepath.Join(repo, "_ns", "default", filepath.FromSlash(logs.S3.Key)))
	if err != nil || !strings.Contains(string(b), "hello logs") {
		t.Fatalf("main-logs in the repository: %q, %v", b, err)
	}
}
