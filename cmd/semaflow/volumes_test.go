package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// needsRootVolumes skips a test that mounts volumes, which needs a mount
// namespace of the step's own, and paths the host must not have.
func needsRootVolumes(t *testing.T, hostPaths ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("volumes are mounted in the step's own mount namespace (root)")
	}
	for _, p := range hostPaths {
		if _, err := os.Lstat(p); err == nil {
			t.Skipf("%s exists on this host", p)
		}
	}
}

// barrierDir is a host directory the steps of parallel workflows all
// reach (a root step's /tmp is its own; /var/tmp is the host's), so
// they can wait for each other and so truly overlap.
func barrierDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("/var/tmp", "semaflow-barrier-")
	if err != nil {
		t.Skipf("no shared directory for a barrier: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(d) })
	return d
}

// waitShell is shell that waits (bounded: 60s) until n files are in dir.
func waitShell(dir string, n int) string {
	return "i=0; while [ $(ls " + dir + " | wc -l) -lt " + strconv.Itoa(n) + " ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done"
}

// A volumeClaimTemplate is one directory per workflow: its second step
// reads what its first wrote, while a copy of the workflow running at the
// same time (both have written before either reads) sees only its own.
func TestVolumeClaimTemplateSharedWithinAWorkflowOnly(t *testing.T) {
	needsRootVolumes(t, "/mnt/sf-vol-e2e")
	b := barrierDir(t)
	wf := writeFile(t, "wf.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: vct}
spec:
  entrypoint: main
  volumeClaimTemplates:
  - metadata: {name: work}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
  templates:
  - name: main
    steps:
    - - {name: write, template: write}
    - - {name: read, template: read}
  - name: write
    container:
      image: alpine
      command: [sh, -c]
      args: ["echo {{workflow.name}} > /mnt/sf-vol-e2e/who && touch `+b+`/{{workflow.name}} && `+waitShell(b, 2)+`"]
      volumeMounts: [{name: work, mountPath: /mnt/sf-vol-e2e}]
  - name: read
    container:
      image: alpine
      command: [sh, -c]
      args: ["cat /mnt/sf-vol-e2e/who; test \"$(cat /mnt/sf-vol-e2e/who)\" = {{workflow.name}} && test \"$(ls /mnt/sf-vol-e2e)\" = who"]
      volumeMounts: [{name: work, mountPath: /mnt/sf-vol-e2e}]
`)
	out, code := run(t, "run", "--count", "2", wf)
	if code != 0 {
		t.Fatalf("run exited %d:\n%s", code, out)
	}
	if ents, _ := os.ReadDir(b); len(ents) != 2 {
		t.Fatalf("the writers did not both run: %v", ents)
	}
	if _, err := os.Lstat("/mnt/sf-vol-e2e"); err == nil {
		t.Fatal("/mnt/sf-vol-e2e was made on the host")
	}
}

// An emptyDir is the step's own: two containers of one step (a
// containerSet) share it, at two mount paths; the next step's is fresh.
func TestEmptyDirSharedByTheContainersOfAStep(t *testing.T) {
	needsRootVolumes(t, "/mnt/sf-a", "/mnt/sf-b")
	wf, stderr := runWorkflowJSON(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: ed}
spec:
  entrypoint: main
  volumes:
  - {name: scratch, emptyDir: {}}
  templates:
  - name: main
    steps:
    - - {name: set, template: set}
    - - {name: next, template: next}
  - name: set
    containerSet:
      containers:
      - name: a
        image: alpine
        command: [sh, -c, "echo from-a > /mnt/sf-a/x"]
        volumeMounts: [{name: scratch, mountPath: /mnt/sf-a}]
      - name: main
        image: alpine
        command: [sh, -c, "cat /mnt/sf-b/x"]
        dependencies: [a]
        volumeMounts: [{name: scratch, mountPath: /mnt/sf-b}]
  - name: next
    container:
      image: alpine
      command: [sh, -c, "ls /mnt/sf-a; test ! -e /mnt/sf-a/x"]
      volumeMounts: [{name: scratch, mountPath: /mnt/sf-a}]
`)
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("workflow %s: %s\n%s", wf.Status.Phase, wf.Status.Message, stderr)
	}
	set := nodeByDisplayName(t, wf, "set")
	if set.Outputs == nil || set.Outputs.Result == nil || *set.Outputs.Result != "from-a" {
		t.Fatalf("set: %+v", set.Outputs)
	}
	for _, p := range []string{"/mnt/sf-a", "/mnt/sf-b"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s was made on the host", p)
		}
	}
}

// Steps write their outputs where Argo would have them, outside /tmp,
// making the directories their image lacks (/output, /mnt/out) as they
// would in a container; parallel steps writing the same path do not
// collide; the host's paths stay untouched.
func TestOutputsOutsideTmpArePerStep(t *testing.T) {
	needsRootVolumes(t, "/output", "/mnt/out")
	b := barrierDir(t)
	wf, stderr := runWorkflowJSON(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: outs}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: w, template: w, arguments: {parameters: [{name: v, value: "{{item}}"}]}, withItems: [one, two]}
  - name: w
    inputs: {parameters: [{name: v}]}
    container:
      image: alpine
      command: [sh, -c]
      args: ["mkdir /output && mkdir -p /mnt/out && echo {{inputs.parameters.v}} > /output/x && echo y-{{inputs.parameters.v}} > /mnt/out/y && touch `+b+`/{{inputs.parameters.v}} && `+waitShell(b, 2)+`"]
    outputs:
      parameters:
      - {name: x, valueFrom: {path: /output/x}}
      - {name: y, valueFrom: {path: /mnt/out/y}}
`)
	if wf.Status.Phase != wfv1.PhaseSucceeded {
		t.Fatalf("workflow %s: %s\n%s", wf.Status.Phase, wf.Status.Message, stderr)
	}
	got := map[string]string{}
	for _, n := range wf.Status.Nodes {
		if n.Type != "Pod" || n.Outputs == nil {
			continue
		}
		ps := map[string]string{}
		for _, p := range n.Outputs.Parameters {
			ps[p.Name] = string(*p.Value)
		}
		got[ps["x"]] = ps["y"]
	}
	if got["one"] != "y-one" || got["two"] != "y-two" {
		t.Fatalf("outputs by step: %v", got)
	}
	for _, p := range []string{"/output", "/mnt/out"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s was made on the host", p)
		}
	}
}

// A hostile mountPath is refused with a message naming the volume and
// the path: lint refuses /, /proc and `..`; the data directory, which
// only the engine knows, fails the step.
func TestHostileMountPathsAreRefused(t *testing.T) {
	for _, p := range []string{"/", "/proc", "/a/../..", "/mnt/../proc/x"} {
		wf := writeFile(t, "wf.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: hostile}
spec:
  entrypoint: main
  volumes: [{name: v, emptyDir: {}}]
  templates:
  - name: main
    container: {image: alpine, command: [true], volumeMounts: [{name: v, mountPath: "`+p+`"}]}
`)
		out, code := run(t, "run", wf)
		if code == 0 || !strings.Contains(out, `mountPath "`+p+`" for volume "v"`) {
			t.Errorf("mountPath %s: exit %d:\n%s", p, code, out)
		}
	}
	needsRootVolumes(t)
	db := filepath.Join(t.TempDir(), "db.sqlite")
	data := db + ".data"
	wf := writeFile(t, "wf.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: hostile}
spec:
  entrypoint: main
  volumes: [{name: v, emptyDir: {}}]
  templates:
  - name: main
    container: {image: alpine, command: [true], volumeMounts: [{name: v, mountPath: "`+data+`/workflows"}]}
`)
	out, code := run(t, "run", "--db", db, wf)
	if code == 0 || !strings.Contains(out, `volume "v"`) || !strings.Contains(out, "data directory") {
		t.Errorf("mountPath in the data directory: exit %d:\n%s", code, out)
	}
}
