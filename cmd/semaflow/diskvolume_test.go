package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// fillClaim is a workflow holding mutex m whose step "fill" writes 50 MB
// into its volumeClaimTemplate (and then sleeps, so only an eviction ends
// it) while its step "hold" runs beside it with no volume: the workflow
// stays Running after fill fails, until it is terminated.
const fillClaim = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: filler}
spec:
  entrypoint: main
  synchronization: {mutexes: [{name: m}]}
  volumeClaimTemplates:
  - metadata: {name: big}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
  templates:
  - name: main
    steps:
    - - {name: fill, template: fill}
      - {name: hold, template: hold}
  - name: fill
    container:
      image: alpine
      command: [sh, -c]
      args: ["dd if=/dev/zero of=/big/f bs=1M count=50; sleep 600"]
      volumeMounts: [{name: big, mountPath: /big}]
  - name: hold
    container: {image: alpine, command: [sleep, "600"]}
`

const waiter = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: waiter}
spec:
  entrypoint: main
  synchronization: {mutexes: [{name: m}]}
  templates:
  - name: main
    container: {image: alpine, command: ["true"]}
`

func submitYAML(t *testing.T, url, manifest string) {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	if code, out := httpDo(t, "POST", url+"/api/v1/workflows/default", "", `{"workflow": `+string(j)+`}`); code != 200 {
		t.Fatalf("submit: %d %v", code, out)
	}
}

// nodeBy finds the workflow's node with displayName, or nil.
func nodeBy(t *testing.T, url, wf, displayName string) map[string]any {
	t.Helper()
	_, out := httpDo(t, "GET", url+"/api/v1/workflows/default/"+wf, "", "")
	st, _ := out["status"].(map[string]any)
	nodes, _ := st["nodes"].(map[string]any)
	for _, n := range nodes {
		if m, _ := n.(map[string]any); m["displayName"] == displayName {
			return m
		}
	}
	return nil
}

func freeBytes(t *testing.T, dir string) uint64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return st.Bavail * uint64(st.Bsize)
}

// A step fills the filesystem that holds both the database and the step
// data through its volumeClaimTemplate: it is evicted, naming the volume
// and ENOSPC; the workflow can still be terminated (its mutex passes to
// the next waiter, which runs) and deleted, and deleting it gives the
// space back.
func TestVolumeFillingTheDataDiskIsEvicted(t *testing.T) {
	needsRootVolumes(t)
	disk := smallDisk(t, 8)
	s := startServer(t, "--db", filepath.Join(disk, "s.db"), "--data", filepath.Join(disk, "data"))
	submitYAML(t, s.url, fillClaim)
	submitYAML(t, s.url, waiter)

	var fill map[string]any
	waitFor(t, 60*time.Second, "the fill step is Failed", func() bool {
		fill = nodeBy(t, s.url, "filler", "fill")
		return fill != nil && fill["phase"] == "Failed"
	})
	msg := fmt.Sprint(fill["message"])
	for _, want := range []string{"evicted", `"big"`, "ENOSPC", "filler"} {
		if !strings.Contains(msg, want) {
			t.Errorf("fill's message %q does not say %s", msg, want)
		}
	}
	if p := wfPhase(t, s.url, "filler"); p != "Running" {
		t.Fatalf("filler is %s while its hold step runs, want Running", p)
	}
	if p := wfPhase(t, s.url, "waiter"); p != "Pending" && p != "" {
		t.Fatalf("waiter is %s while filler holds the mutex, want Pending", p)
	}

	if code, out := httpDo(t, "PUT", s.url+"/api/v1/workflows/default/filler/terminate", "", "{}"); code != 200 {
		t.Fatalf("terminate: %d %v", code, out)
	}
	waitFor(t, 30*time.Second, "filler is Failed after terminate on a full disk", func() bool { return wfPhase(t, s.url, "filler") == "Failed" })
	deadline := time.Now().Add(30 * time.Second)
	for wfPhase(t, s.url, "waiter") != "Succeeded" {
		if time.Now().After(deadline) {
			_, w := httpDo(t, "GET", s.url+"/api/v1/workflows/default/waiter", "", "")
			t.Fatalf("the waiter did not get the mutex and succeed within 30 s: its status %v", w["status"])
		}
		time.Sleep(50 * time.Millisecond)
	}

	done := make(chan int, 1)
	go func() {
		code, _ := httpDo(t, "DELETE", s.url+"/api/v1/workflows/default/filler", "", "")
		done <- code
	}()
	select {
	case code := <-done:
		if code != 200 {
			t.Fatalf("delete: %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("delete of the workflow filling the disk did not return in 30 s")
	}
	if free := freeBytes(t, disk); free < 4<<20 {
		t.Fatalf("%d bytes free on the 8 MB disk after deleting the workflow whose volume filled it", free)
	}
	_, out := httpDo(t, "GET", s.url+"/api/v1/sync-status?lock=default/Mutex/m", "", "")
	if items, _ := out["items"].([]any); len(items) == 1 {
		lock := items[0].(map[string]any)
		if h, w := lock["holders"].(map[string]any), lock["waiters"].([]any); len(h) != 0 || len(w) != 0 {
			t.Fatalf("after all ended: holders %v, waiters %v", h, w)
		}
	}
	s.stop(t)
}

// With the database on another disk than the step data, an eviction
// keeps the database's reserve: giving it up frees nothing where the disk
// is full.
func TestEvictionKeepsTheReserveOfAnotherDisk(t *testing.T) {
	needsRootVolumes(t)
	disk := smallDisk(t, 8)
	db := filepath.Join(t.TempDir(), "s.db")
	s, stderr := startServerStderr(t, "--db", db, "--data", filepath.Join(disk, "data"))
	if _, err := os.Stat(db + "-reserve"); err != nil {
		t.Fatalf("the database's reserve: %v", err)
	}
	submitYAML(t, s.url, fillClaim)
	waitFor(t, 60*time.Second, "the fill step is Failed", func() bool {
		fill := nodeBy(t, s.url, "filler", "fill")
		return fill != nil && fill["phase"] == "Failed"
	})
	if code, out := httpDo(t, "PUT", s.url+"/api/v1/workflows/default/filler/terminate", "", "{}"); code != 200 {
		t.Fatalf("terminate: %d %v", code, out)
	}
	waitFor(t, 30*time.Second, "filler is Failed after terminate", func() bool { return wfPhase(t, s.url, "filler") == "Failed" })
	if _, err := os.Stat(db + "-reserve"); err != nil {
		t.Errorf("the reserve on the database's disk is gone after an eviction on another disk: %v", err)
	}
	if strings.Contains(stderr.String(), "released the") {
		t.Errorf("the server released a reserve for a full disk it is not on:\n%s", stderr.String())
	}
	s.stop(t)
}

// semaflow run on the same layout says what went wrong and exits
// non-zero, rather than hanging silently.
func TestRunWithAVolumeFillingTheDisk(t *testing.T) {
	needsRootVolumes(t)
	disk := smallDisk(t, 8)
	wf := writeFile(t, "fill.yaml", strings.Replace(strings.Replace(fillClaim, "; sleep 600", "; true", 1),
		"      - {name: hold, template: hold}\n", "", 1))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "run", "--db", filepath.Join(disk, "r.db"), wf)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("semaflow run hung (killed after 90 s): %s", out)
	}
	if err == nil {
		t.Fatalf("semaflow run succeeded though its volume filled the disk: %s", out)
	}
	for _, want := range []string{"evicted", `"big"`, "ENOSPC"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("semaflow run's output does not say %s: %s", want, out)
		}
	}
}

// A step with a writable volume whose data directory is full before it
// starts waits for room (its node says so) and is not evicted: it has
// written nothing. Once room returns it runs, and the workflow succeeds
// (a review found it failed as evicted though it never ran).
func TestVolumeStepWaitingForRoomIsNotEvicted(t *testing.T) {
	needsRootVolumes(t)
	disk := smallDisk(t, 8)
	db := filepath.Join(t.TempDir(), "sf.db")
	s := startServer(t, "--db", db, "--data", filepath.Join(disk, "data"))
	wf := `{"workflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "v"},
  "spec": {"entrypoint": "main", "volumes": [{"name": "scratch", "emptyDir": {}}],
   "templates": [{"name": "main", "container": {"image": "x", "command": ["true"], "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}]}}]}}}`
	fill(t, filepath.Join(disk, "filler"))
	if code, out := httpDo(t, "POST", s.url+"/api/v1/workflows/default", "", wf); code != 200 {
		t.Fatalf("submit: %d %v", code, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, out := httpDo(t, "GET", s.url+"/api/v1/workflows/default/v", "", "")
		st, _ := out["status"].(map[string]any)
		if st["phase"] != nil && st["phase"] != "Running" && st["phase"] != "Pending" {
			t.Fatalf("on a full disk the workflow is %v (%v), want it waiting", st["phase"], st["message"])
		}
		waiting := false
		nodes, _ := st["nodes"].(map[string]any)
		for _, n := range nodes {
			m := n.(map[string]any)
			msg, _ := m["message"].(string)
			waiting = waiting || m["type"] == "Pod" && m["phase"] == "Pending" && strings.HasPrefix(msg, "waiting to start: ") && strings.Contains(msg, "no space left")
		}
		if waiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the step never said it waits for room: %v", nodes)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Longer than the evictor's period, which would have failed it.
	time.Sleep(time.Second)
	if p := wfPhase(t, s.url, "v"); p != "Running" {
		t.Fatalf("a step waiting to start left its workflow %s", p)
	}
	if err := os.Remove(filepath.Join(disk, "filler")); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(20 * time.Second)
	for p := wfPhase(t, s.url, "v"); p != "Succeeded"; p = wfPhase(t, s.url, "v") {
		if p == "Failed" || p == "Error" || time.Now().After(deadline) {
			_, out := httpDo(t, "GET", s.url+"/api/v1/workflows/default/v", "", "")
			t.Fatalf("after room returned: %s %v", p, out["status"])
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stop(t)
}
