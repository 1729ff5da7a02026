package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Argo's TestTemplateLevelHooksWithRetry (hooks_test.go): a step retried
// with limit 2 that carries expression hooks. Semaflow once retried it
// without end, many attempts at once; the run must end Succeeded after
// exactly three attempts.
func TestRunRetryWithTemplateHooksIsBounded(t *testing.T) {
	file := writeFile(t, "hooks-retry.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: retries-with-hooks}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: build
        template: flaky
        hooks:
          started:
            expression: steps["build"].status == "Running"
            template: note
          success:
            expression: steps["build"].status == "Succeeded"
            template: note
          failed:
            expression: steps["build"].status == "Failed" || steps["build"].status == "Error"
            template: note
  - name: flaky
    retryStrategy: {limit: 2}
    container:
      image: alpine
      command: [sh, -c]
      args: ['sleep 0.3; [ "{{retries}}" = "2" ]']
  - name: note
    container: {image: alpine, command: [echo, hook]}
`)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "run", "-o", "json", file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ctx.Err() != nil {
		t.Fatalf("run did not end within 60s (runaway retries?)\n%s", tail(stderr.String()))
	}
	if err != nil {
		t.Fatalf("run: %v\n%s", err, tail(stderr.String()))
	}
	var wf finalWF
	if err := json.NewDecoder(bytes.NewReader(out)).Decode(&wf); err != nil {
		t.Fatalf("decoding output: %v\n%s", err, tail(string(out)))
	}
	attempts := 0
	for _, n := range wf.Status.Nodes {
		if strings.HasPrefix(n.Name, "retries-with-hooks[0].build(") {
			attempts++
		}
	}
	if wf.Status.Phase != "Succeeded" || attempts != 3 {
		t.Fatalf("%s after %d attempts of build, want Succeeded after 3 (limit 2)", wf.Status.Phase, attempts)
	}
}
