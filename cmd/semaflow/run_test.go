package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

type finalWF struct {
	Metadata struct{ Name string }
	Status   struct {
		Phase, Message string
		Nodes          map[string]struct {
			Name, DisplayName, Phase, Message, Type string
			Outputs                                 *struct {
				Result     *string
				Parameters []struct{ Name, Value string }
			}
		}
	}
}

// runJSON runs `semaflow run -o json ...` and decodes every workflow it prints.
func runJSON(t *testing.T, args ...string) ([]finalWF, string, int) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"run", "-o", "json"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	var out []finalWF
	dec := json.NewDecoder(&stdout)
	for {
		var wf finalWF
		if err := dec.Decode(&wf); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding output: %v\nstderr:\n%s", err, stderr.String())
		}
		out = append(out, wf)
	}
	return out, stderr.String(), code
}

func TestExamplesSucceed(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*.yaml")
	if len(files) < 5 {
		t.Fatalf("only %d examples", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			wfs, stderr, code := runJSON(t, f)
			if code != 0 || len(wfs) == 0 {
				t.Fatalf("exit %d, %d workflows:\n%s", code, len(wfs), stderr)
			}
			// Nobody pressed Ctrl-C: ending must not say it was interrupted.
			if strings.Contains(stderr, "interrupt") {
				t.Fatalf("a run nobody interrupted says:\n%s", stderr)
			}
			for _, wf := range wfs {
				if wf.Status.Phase != "Succeeded" {
					t.Fatalf("%s: %s %s", wf.Metadata.Name, wf.Status.Phase, wf.Status.Message)
				}
			}
		})
	}
}

func TestRunDAGPassesOutputs(t *testing.T) {
	wfs, stderr, code := runJSON(t, "../../examples/dag.yaml")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, n := range wfs[0].Status.Nodes {
		if n.DisplayName == "D" {
			if n.Outputs == nil || n.Outputs.Result == nil || *n.Outputs.Result != "110" {
				t.Fatalf("D's result %+v, want 110 (10 + 100)", n.Outputs)
			}
			return
		}
	}
	t.Fatal("no node D")
}

// Parallel steps writing the same fixed path under /tmp must each read
// back their own content.
func TestParallelStepsHavePrivateTmp(t *testing.T) {
	wf := writeFile(t, "tmp.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: private-tmp-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: w, template: write, arguments: {parameters: [{name: v, value: "{{item}}"}]}, withSequence: {count: "6"}}
  - name: write
    inputs: {parameters: [{name: v}]}
    container:
      image: alpine
      command: [sh, -c, "echo {{inputs.parameters.v}} > /tmp/message; sleep 0.5; cat /tmp/message"]
    outputs: {parameters: [{name: got, valueFrom: {path: /tmp/message}}]}
`)
	wfs, stderr, code := runJSON(t, wf)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	seen := 0
	for _, n := range wfs[0].Status.Nodes {
		if n.Type != "Pod" {
			continue
		}
		seen++
		want := strings.TrimSuffix(strings.SplitN(n.DisplayName, ":", 2)[1], ")")
		if n.Outputs == nil || *n.Outputs.Result != want || n.Outputs.Parameters[0].Value != want {
			t.Errorf("%s read back %+v, want %s", n.DisplayName, n.Outputs, want)
		}
	}
	if seen != 6 {
		t.Fatalf("%d steps ran, want 6", seen)
	}
}

func TestRunFaults(t *testing.T) {
	cases := []struct {
		name, body, phase, message string
	}{
		{"missing executable", `
  - name: main
    container: {image: x, command: [no-such-program-xyz]}`, "Failed", `cannot run "no-such-program-xyz": executable file not found`},
		{"deadline kills the process group", `
  - name: main
    activeDeadlineSeconds: 1
    container: {image: x, command: [sh, -c, "sleep 987 & sleep 987"]}`, "Failed", "longer than the specified deadline"},
		{"endless recursion", `
  - name: main
    steps:
    - - {name: again, template: main}`, "Failed", "maximum template depth 100 exceeded"},
		{"semaphore whose ConfigMap is missing", `
  - name: main
    synchronization: {semaphores: [{configMapKeyRef: {name: absent, key: k}}]}
    container: {image: x, command: ["true"]}`, "Failed", "semaphore default/ConfigMap/absent/k: ConfigMap default/absent not found"},
		{"expression that fails at run time", `
  - name: main
    container: {image: x, command: [echo, "{{=asInt('abc')}}"]}`, "Error", `template "main": expression "asInt('abc')"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := writeFile(t, "wf.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: fault}\nspec:\n  entrypoint: main\n  templates:"+c.body+"\n")
			wfs, stderr, code := runJSON(t, f)
			if code != 1 || len(wfs) != 1 {
				t.Fatalf("exit %d, %d workflows\n%s", code, len(wfs), stderr)
			}
			if wfs[0].Status.Phase != c.phase || !strings.Contains(wfs[0].Status.Message, c.message) {
				t.Fatalf("phase %s message %q; want %s with %q", wfs[0].Status.Phase, wfs[0].Status.Message, c.phase, c.message)
			}
		})
	}
	if out, err := exec.Command("pgrep", "-f", "sleep 987").Output(); err == nil && len(out) > 0 {
		t.Fatalf("the deadline left processes behind: %s", out)
	}
}

func TestRunHugeOutput(t *testing.T) {
	f := writeFile(t, "big.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: big}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: x, command: [sh, -c, "head -c 8000000 /dev/zero | tr '\\0' a"]}
`)
	wfs, stderr, code := runJSON(t, f)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, n := range wfs[0].Status.Nodes {
		if n.Outputs == nil || n.Outputs.Result == nil || len(*n.Outputs.Result) != 256<<10 {
			t.Fatalf("result should be capped at 256 KiB, got %d bytes", len(*n.Outputs.Result))
		}
	}
}

func TestRunBadInputRunsNothing(t *testing.T) {
	f := writeFile(t, "bad.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: bad}\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n    contianer: {image: x}\n")
	out, code := run(t, "run", f)
	if code != 1 || !strings.Contains(out, "bad.yaml:8:5") || !strings.Contains(out, "nothing was run") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	out, code = run(t, "run", "-p", "nosuch=1", "../../examples/hello-world.yaml")
	if code != 1 || !strings.Contains(out, `no argument "nosuch"`) {
		t.Fatalf("unknown -p: exit %d:\n%s", code, out)
	}
}

func TestRunCountParamsAndDB(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keep.db")
	wfs, stderr, code := runJSON(t, "--count", "3", "--db", db, "-p", "message=bonjour", "../../examples/hello-world.yaml")
	if code != 0 || len(wfs) != 3 {
		t.Fatalf("exit %d, %d workflows\n%s", code, len(wfs), stderr)
	}
	names := map[string]bool{}
	for _, wf := range wfs {
		names[wf.Metadata.Name] = true
		for _, n := range wf.Status.Nodes {
			if n.Outputs == nil || *n.Outputs.Result != "bonjour" {
				t.Fatalf("-p was not applied: %+v", n.Outputs)
			}
		}
	}
	if len(names) != 3 {
		t.Fatalf("copies share names: %v", names)
	}
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("--db file not kept: %v", err)
	}
	// The kept database accepts a second run.
	if _, stderr, code := runJSON(t, "--db", db, "../../examples/hello-world.yaml"); code != 0 {
		t.Fatalf("second run on the same --db: exit %d\n%s", code, stderr)
	}
}

// On a terminal, run redraws a live tree; `script` gives it one.
func TestRunLiveTreeOnATerminal(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("no `script` to provide a terminal")
	}
	out, err := exec.Command("script", "-qec", binary+" run ../../examples/dag.yaml", "/dev/null").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	s := string(out)
	if !strings.Contains(s, "\x1b[H\x1b[2J") || !strings.Contains(s, "STEP") || !strings.Contains(s, "Status:     Succeeded") {
		t.Fatalf("no live tree in:\n%q", s[max(0, len(s)-800):])
	}
	if regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d  `).MatchString(s) {
		t.Fatal("progress lines printed on a terminal")
	}
}
