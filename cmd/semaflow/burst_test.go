package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
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

// SIGTERM in the middle of a burst stops the server promptly (Detach no
// longer waits on a full pipe), and the next server finishes the burst.
// 1,500 steps are still far more start requests than a pipe holds; a
// server run as root starts each through a step init (a Go process, ~30 ms
// of CPU here), so 3,000 took 2 min on a quiet machine and over 6 on a
// loaded CI one, while it kept finishing steps.
func TestServerStopsDuringABurst(t *testing.T) {
	db := filepath.Join(t.TempDir(), "server.db")
	s1 := startServer(t, "--db", db)
	wf := `{"workflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "burst"},
	  "spec": {"entrypoint": "main", "templates": [
	    {"name": "main", "steps": [[{"name": "s", "template": "t", "withSequence": {"count": "1500"}}]]},
	    {"name": "t", "container": {"image": "x", "command": ["true"]}}]}}}`
	if code, out := httpDo(t, "POST", s1.url+"/api/v1/workflows/default", "", wf); code != 200 {
		t.Fatalf("create: %d %v", code, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for wfPhase(t, s1.url, "burst") != "Running" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Second) // thousands of start requests are in flight
	s1.stop(t)

	s2 := startServer(t, "--db", db)
	// A stall fails it, not a wall clock: on a loaded machine the burst
	// once took over 90 s while it kept finishing steps. The hard deadline
	// only bounds a crawl.
	const stall = 30 * time.Second
	progress, lastDone := time.Now(), -1
	hardDeadline := time.Now().Add(12 * time.Minute)
	for {
		_, out := httpDo(t, "GET", s2.url+"/api/v1/workflows/default/burst", "", "")
		st, _ := out["status"].(map[string]any)
		phase, _ := st["phase"].(string)
		if phase == "Succeeded" {
			break
		}
		nodes, _ := st["nodes"].(map[string]any)
		done := 0
		var pending []string
		for _, n := range nodes {
			m, _ := n.(map[string]any)
			if m["phase"] == "Succeeded" {
				done++
			} else if len(pending) < 5 {
				pending = append(pending, fmt.Sprintf("%v %v: %v", m["displayName"], m["phase"], m["message"]))
			}
		}
		if done > lastDone {
			progress, lastDone = time.Now(), done
		}
		if time.Since(progress) > stall || time.Now().After(hardDeadline) || phase == "Failed" || phase == "Error" {
			t.Fatalf("workflow %s (%v) after the restart, %d nodes Succeeded and none more for %s, want Succeeded; some nodes: %v",
				phase, st["message"], done, time.Since(progress).Round(time.Second), pending)
		}
		time.Sleep(200 * time.Millisecond)
	}
	s2.stop(t)
}
