package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A workflow-level lock wait bounded by semaflow.dev/pending-timeout: a
// long workflow holds the mutex, the impatient one fails after 1 s with
// a message naming the lock while the holder goes on and completes, and
// nothing is left behind: the lock is free, with nobody queued.
func TestPendingTimeoutAnnotation(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"holder.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: long-deploy}
spec:
  entrypoint: main
  synchronization: {mutexes: [{name: deploy}]}
  templates:
  - name: main
    script: {image: alpine, command: [sh], source: "sleep 3"}
`,
		"impatient.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: quick-fix
  annotations: {semaflow.dev/pending-timeout: 1s}
spec:
  entrypoint: main
  synchronization: {mutexes: [{name: deploy}]}
  templates:
  - name: main
    container: {image: alpine, command: ["true"]}
`,
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	db := filepath.Join(dir, "run.db")
	// The holder is submitted first, so it takes the mutex.
	out, code := run(t, "run", "-o", "json", "--db", db, filepath.Join(dir, "holder.yaml"), filepath.Join(dir, "impatient.yaml"))
	if code != 1 {
		t.Fatalf("want exit 1 (one workflow failed), got %d:\n%s", code, out)
	}
	type status struct {
		Phase, Message string
		FinishedAt     time.Time `json:"finishedAt"`
	}
	got := map[string]status{}
	created := map[string]time.Time{}
	start := strings.Index(out, "{")
	if start < 0 {
		t.Fatalf("no JSON in:\n%s", out)
	}
	dec := json.NewDecoder(strings.NewReader(out[start:]))
	for dec.More() {
		var wf struct {
			Metadata struct {
				Name              string
				CreationTimestamp time.Time `json:"creationTimestamp"`
			}
			Status status
		}
		if err := dec.Decode(&wf); err != nil {
			t.Fatalf("%v in:\n%s", err, out)
		}
		got[wf.Metadata.Name] = wf.Status
		created[wf.Metadata.Name] = wf.Metadata.CreationTimestamp
	}
	fix, deploy := got["quick-fix"], got["long-deploy"]
	if want := "Timed out after 1s (semaflow.dev/pending-timeout) waiting for default/Mutex/deploy lock"; fix.Phase != "Failed" || fix.Message != want {
		t.Fatalf("quick-fix ended %s %q, want Failed %q", fix.Phase, fix.Message, want)
	}
	if deploy.Phase != "Succeeded" {
		t.Fatalf("long-deploy ended %s %q, want Succeeded", deploy.Phase, deploy.Message)
	}
	waited := fix.FinishedAt.Sub(created["quick-fix"])
	if waited < time.Second || waited > 2500*time.Millisecond || !fix.FinishedAt.Before(deploy.FinishedAt) {
		t.Fatalf("quick-fix failed after %s (holder ended %s later), want about 1 s, while the holder still ran",
			waited, deploy.FinishedAt.Sub(fix.FinishedAt))
	}
	out, code = run(t, "sync", "list", "-o", "json", "--db", db)
	var locks []struct {
		Lock    string
		Holders map[string]uint64
		Waiters []string
		Fence   uint64
	}
	if err := json.Unmarshal([]byte(out), &locks); code != 0 || err != nil {
		t.Fatalf("sync list (exit %d, %v):\n%s", code, err, out)
	}
	if len(locks) != 1 || locks[0].Lock != "default/Mutex/deploy" || len(locks[0].Holders) != 0 || len(locks[0].Waiters) != 0 || locks[0].Fence != 1 {
		t.Fatalf("after the run the mutex is not free, or was granted to the timed-out waiter: %+v", locks)
	}
	t.Logf("quick-fix failed %s after its creation; long-deploy ended %s after that", waited.Round(time.Millisecond),
		deploy.FinishedAt.Sub(fix.FinishedAt).Round(time.Millisecond))
}
