package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semaflow/semaflow/internal/testkit"
)

var binary string

// TestMain builds the real binary once; every test runs it as a user
// would. Under -race it is built with the race detector too: the
// end-to-end tests then also hunt data races in the engine.
func TestMain(m *testing.M) {
	os.Exit(testkit.Run(m, raceEnabled, func(path string) { binary = path }))
}

func run(t *testing.T, args ...string) (stdout string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	default:
		t.Fatalf("running %v: %v", args, err)
	}
	return out.String(), code
}

func corpusDir(t *testing.T) string {
	t.Helper()
	d := os.Getenv("SEMAFLOW_SHARED")
	if d == "" {
		d = "../../../shared"
	}
	d = filepath.Join(d, "corpus")
	if _, err := os.Stat(d); err != nil {
		t.Fatalf("corpus not found at %s (set SEMAFLOW_SHARED): %v", d, err)
	}
	return d
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// corpusNeedsUnsupported are the corpus files that use what semaflow does
// not support yet (internal/spec's corpusUnsupported says which feature):
// lint must report it as an error in each, and no other error anywhere.
const corpusNeedsUnsupported = 0

func TestLintCorpusIsClean(t *testing.T) {
	dir := corpusDir(t)
	out, code := run(t, "lint", "-o", "json", filepath.Join(dir, "argo-examples"), filepath.Join(dir, "support"))
	var report struct {
		Files []struct {
			File string
			OK   bool
		}
		Diagnostics []struct {
			File, Path, Severity, Message string
			Unhonoured                    bool
		}
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("exit %d, not JSON: %v\n%s", code, err, out)
	}
	failed := map[string]bool{}
	for _, d := range report.Diagnostics {
		if d.Severity != "error" {
			continue
		}
		failed[d.File] = true
		if !d.Unhonoured {
			t.Errorf("%s: %s: an error other than an unsupported field: %s", d.File, d.Path, d.Message)
		}
	}
	oks := 0
	for _, f := range report.Files {
		if f.OK {
			oks++
		}
	}
	wantCode := 0
	if corpusNeedsUnsupported > 0 {
		wantCode = 1
	}
	if len(failed) != corpusNeedsUnsupported || oks+len(failed) < 90 || code != wantCode {
		t.Fatalf("exit %d; want %d files with unsupported fields, got %d; want 90+ files in all, got %d ok", code, corpusNeedsUnsupported, len(failed), oks)
	}
}

func TestLintOwnExamplesAreClean(t *testing.T) {
	// The one warning is the note every run gets, naming the images.
	out, code := run(t, "lint", "../../examples")
	if code != 0 || !strings.Contains(out, "0 errors, 1 warning") || !strings.Contains(out, "are recorded, not used: steps run on this host") {
		t.Fatalf("examples must lint without errors or warnings but the image note (exit %d):\n%s", code, out)
	}
}

const badWorkflow = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: bad-
spec:
  entrypoint: main
  priority: "high"
  templates:
  - name: main
    synchronization:
      semaphores:
      - configMapKeyRef: {name: limits, key: gpu}
    container: {image: alpine, command: [echo]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: limits}
data: {db: "3"}
`

func TestLintReportsProblemsWithLocations(t *testing.T) {
	p := writeFile(t, "bad.yaml", badWorkflow)
	out, code := run(t, "lint", p)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	for _, want := range []string{
		p + `:7:13: spec.priority: expected an integer, got string "high"`,
		p + `:12:9: spec.templates[0].synchronization.semaphores[0]: semaphore default/ConfigMap/limits/gpu: ConfigMap default/limits has no key "gpu"`,
		p + `:13:17: spec.templates[0].container.image: warning: image "alpine" is recorded, not used: steps run on this host`,
		"1 file checked: 2 errors, 1 warning",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestLintJSON(t *testing.T) {
	p := writeFile(t, "bad.yaml", badWorkflow)
	out, code := run(t, "lint", "-o", "json", p)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	var report struct {
		Errors      int `json:"errors"`
		Diagnostics []struct {
			File string `json:"file"`
			Pos  struct{ Line, Column int }
			Path string `json:"path"`
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if report.Errors != 2 || len(report.Diagnostics) != 3 || report.Diagnostics[0].Pos.Line != 7 ||
		report.Diagnostics[0].Path != "spec.priority" {
		t.Fatalf("unexpected report: %+v", report)
	}
}

func TestLintBadFiles(t *testing.T) {
	cases := map[string]struct {
		args []string
		want string
	}{
		"missing file": {[]string{"lint", "/nonexistent/wf.yaml"}, "/nonexistent/wf.yaml: cannot read: no such file or directory"},
		"too large": {[]string{"lint", "--max-size", "64", writeFile(t, "big.yaml", badWorkflow)},
			"larger than the limit of 64 bytes"},
		"binary":     {[]string{"lint", writeFile(t, "bin.yaml", "\x7fELF\x00\x01")}, "binary, not YAML"},
		"malformed":  {[]string{"lint", writeFile(t, "m.yaml", "kind: Workflow\nspec: [a\n")}, "malformed YAML"},
		"bad format": {[]string{"lint", "-o", "xml", "x.yaml"}, `unknown output format "xml"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out, code := run(t, tc.args...)
			if code != 1 || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, output:\n%s\nwant exit 1 and %q", code, out, tc.want)
			}
			if strings.Contains(out, "panic") || strings.Contains(out, "goroutine") {
				t.Fatalf("crashed:\n%s", out)
			}
		})
	}
}
