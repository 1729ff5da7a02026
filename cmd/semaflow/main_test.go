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

func TestLintCorpusIsClean(t *testing.T) {
	dir := corpusDir(t)
	out, code := run(t, "lint", filepath.Join(dir, "argo-examples"), filepath.Join(dir, "support"))
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, out)
	}
	oks := strings.Count(out, "\nok ") + map[bool]int{true: 1}[strings.HasPrefix(out, "ok ")]
	if oks < 90 || !strings.Contains(out, "0 errors") {
		t.Fatalf("want 90+ ok lines and 0 errors, got %d:\n%s", oks, out)
	}
}

func TestLintOwnExamplesAreClean(t *testing.T) {
	out, code := run(t, "lint", "../../examples")
	if code != 0 || !strings.Contains(out, "0 errors, 0 warnings") {
		t.Fatalf("examples must lint without errors or warnings (exit %d):\n%s", code, out)
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
		"1 file checked: 2 errors, 0 warnings",
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
	if report.Errors != 2 || len(report.Diagnostics) != 2 || report.Diagnostics[0].Pos.Line != 7 ||
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
