package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A step whose background child keeps its output pipe open (setsid, a
// daemon) ends when its own process does, not when the child does: the
// step, its deadline and its locks are not held for the child's life.
func TestStepEndsWhenItsProcessDoes(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	wf := writeFile(t, "bg.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: bg-}
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: x
      command: [sh, -c, "setsid sh -c 'echo $$ > `+pidFile+`; trap \"\" TERM; exec sleep 60' & echo hi"]
`)
	start := time.Now()
	wfs, stderr, code := runJSON(t, "--private-tmp=false", wf)
	took := time.Since(start)
	if b, err := os.ReadFile(pidFile); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if code != 0 || len(wfs) != 1 || wfs[0].Status.Phase != "Succeeded" {
		t.Fatalf("exit %d, %+v\n%s", code, wfs, stderr)
	}
	if took > 20*time.Second {
		t.Fatalf("the run took %v: the step waited for its background child", took)
	}
}
