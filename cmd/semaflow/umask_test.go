package main

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// umaskWorkflow gives a step run as the step user everything the
// supervisor makes for it: a script, raw and passed input artifacts (a
// file at a nested path, a directory), an emptyDir with a subPath, and
// a working directory.
const umaskWorkflow = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: um}
spec:
  entrypoint: main
  volumes: [{name: scratch, emptyDir: {}}]
  templates:
  - name: main
    steps:
    - - {name: gen, template: gen}
    - - name: use
        template: use
        arguments: {artifacts: [{name: dir, from: "{{steps.gen.outputs.artifacts.dir}}"}]}
  - name: gen
    script:
      image: alpine
      command: [sh]
      source: "mkdir -p /tmp/d/e && echo deep > /tmp/d/e/f"
    outputs: {artifacts: [{name: dir, path: /tmp/d}]}
  - name: use
    inputs:
      artifacts:
      - {name: raw, path: /tmp/in/a/b/raw.txt, raw: {data: rawdata}}
      - {name: dir, path: /tmp/got}
    script:
      image: alpine
      command: [sh]
      workingDir: /work/w/x
      source: |
        set -e
        cat /tmp/in/a/b/raw.txt; echo
        cat /tmp/got/e/f
        echo vol-ok > /mnt/sf-umask/f; cat /mnt/sf-umask/f
        mkdir /tmp/own; echo tmp-ok > /tmp/own/f; cat /tmp/own/f
        pwd
      volumeMounts: [{name: scratch, mountPath: /mnt/sf-umask, subPath: s}]
`

// With umask 077, a step run as the step user still reads and writes
// what the supervisor made for it: the umask must not narrow the modes
// the supervisor gives those directories and files.
func TestStepUserUnderUmask077(t *testing.T) {
	needsRootVolumes(t, "/mnt/sf-umask", "/work/w")
	file := writeFile(t, "um.yaml", umaskWorkflow)
	cmd := exec.Command("sh", "-c", `umask 077; exec "$0" "$@"`, binary, "run", "--step-user", "nobody", "--log", file)
	cmd.Dir = t.TempDir()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	for _, want := range []string{"rawdata", "deep", "vol-ok", "tmp-ok", "/work/w/x"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the step's output lacks %q", want)
		}
	}
	if err != nil || t.Failed() {
		t.Fatalf("run under umask 077: %v\n%s", err, out.String())
	}
}
