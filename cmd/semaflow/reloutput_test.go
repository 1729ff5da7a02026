package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// relOutputsWorkflow declares output parameters by relative paths: three
// that lead out of the step's working directory (to /etc/passwd by
// enough `..`, to a file in the engine's working directory, and one
// directory above it), and two the step writes in its own working
// directory, one through a `..` that stays inside.
const relOutputsWorkflow = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: relout}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: x, command: [sh, -c, "echo ok > rel && mkdir -p sub/x && echo nested > sub/y"]}
    outputs:
      parameters:
      - {name: passwd, valueFrom: {path: ../../../../../../../../../../../../etc/passwd, default: none}}
      - {name: cwdfile, valueFrom: {path: hostsecret.txt, default: none}}
      - {name: above, valueFrom: {path: ../hostsecret.txt, default: none}}
      - {name: stepdir, valueFrom: {path: ../spec.json, default: none}}
      - {name: own, valueFrom: {path: rel}}
      - {name: nested, valueFrom: {path: sub/x/../y}}
`

// engineDirs makes a working directory for an engine, holding a secret
// file, with another one in its parent directory.
func engineDirs(t *testing.T) string {
	t.Helper()
	top := t.TempDir()
	cwd := filepath.Join(top, "cwd")
	if err := os.Mkdir(cwd, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(top, "hostsecret.txt"), filepath.Join(cwd, "hostsecret.txt")} {
		if err := os.WriteFile(p, []byte("HOSTSECRET\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return cwd
}

type outputParams struct {
	Status struct {
		Phase, Message string
		Nodes          map[string]struct {
			Type, Phase, Message string
			Outputs              *struct {
				Parameters []struct{ Name, Value string }
			}
		}
	}
}

// checkRelOutputs says what is wrong with relout's outputs.
func checkRelOutputs(t *testing.T, how string, wf outputParams) {
	t.Helper()
	want := map[string]string{"passwd": "none", "cwdfile": "none", "above": "none", "stepdir": "none", "own": "ok", "nested": "nested"}
	got := map[string]string{}
	for _, n := range wf.Status.Nodes {
		if n.Type != "Pod" {
			continue
		}
		if n.Outputs != nil {
			for _, p := range n.Outputs.Parameters {
				got[p.Name] = strings.TrimSpace(p.Value)
			}
		}
		if n.Phase != "Succeeded" {
			t.Errorf("%s: the step ended %s: %s", how, n.Phase, n.Message)
		}
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: output %s = %.80q, want %q", how, name, got[name], w)
		}
	}
}

// A relative output path is the step's: relative to its working
// directory as it sees it, never to the engine's, and it does not lead
// out of that directory. The server (as root, steps run as nobody) and
// `semaflow run` read none of the engine's files through one, and read
// what the step wrote in its working directory.
func TestRelativeOutputPathsStayInTheStepsWorkingDirectory(t *testing.T) {
	t.Run("server", func(t *testing.T) {
		cwd := engineDirs(t)
		s := startServerIn(t, cwd, os.Stderr, "--db", filepath.Join(t.TempDir(), "server.db"))
		wfJSON, err := yaml.YAMLToJSON([]byte(relOutputsWorkflow))
		if err != nil {
			t.Fatal(err)
		}
		body := `{"workflow": ` + string(wfJSON) + `}`
		if code, out := httpDo(t, "POST", s.url+"/api/v1/workflows/default", "", body); code != 200 {
			t.Fatalf("create: %d %v", code, out)
		}
		awaitPhase(t, s.url, "", "default", "relout")
		_, raw := apiCall(t, "GET", s.url+"/api/v1/workflows/default/relout", "", "")
		var wf outputParams
		if err := json.Unmarshal([]byte(raw), &wf); err != nil {
			t.Fatal(err)
		}
		checkRelOutputs(t, "server", wf)
	})
	t.Run("run", func(t *testing.T) {
		modes := [][]string{{"--private-tmp=true"}, {"--private-tmp=false"}}
		if os.Geteuid() == 0 {
			modes = append(modes, []string{"--step-user", "nobody"})
		}
		for _, mode := range modes {
			cwd := engineDirs(t)
			wfPath := filepath.Join(cwd, "relout.yaml")
			if err := os.WriteFile(wfPath, []byte(relOutputsWorkflow), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(binary, append(append([]string{"run", "-o", "json"}, mode...), "relout.yaml")...)
			cmd.Dir = cwd
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			_ = cmd.Run()
			var wf outputParams
			if err := json.Unmarshal(stdout.Bytes(), &wf); err != nil {
				t.Errorf("run %v: %v\nstderr:\n%s", mode, err, stderr.String())
				continue
			}
			checkRelOutputs(t, "run "+strings.Join(mode, " "), wf)
		}
	})
}
