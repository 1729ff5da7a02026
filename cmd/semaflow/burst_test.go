package main

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// One withSequence far larger than a pipe's worth of step requests and
// notices runs to the end instead of deadlocking the engine and its
// supervisor.
func TestRunBurstOfSteps(t *testing.T) {
	f := writeFile(t, "burst.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: burst}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: s
        template: t
        withSequence: {count: "3000"}
  - name: t
    container: {image: x, command: ["true"]}
`)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "run", "--plain", f)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("3,000 steps did not finish within 90 s (deadlock?):\n%s", tail(out.String()))
	}
	if err != nil || !strings.Contains(out.String(), "Succeeded") {
		t.Fatalf("%v:\n%s", err, tail(out.String()))
	}
	t.Logf("3,000 steps in %v", time.Since(start))
}
