package main

import (
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A step a restarted server resumed (adopted from the engine before it)
// is killed by terminate, by delete and by the workflow's deadline as a
// step the server started itself is: the workflow ends Failed promptly,
// the step's processes are dead by then, and its mutex is free. Both a
// graceful restart (SIGTERM) and a crash (SIGKILL) are covered.
func TestKillReachesAdoptedStepAfterServerRestart(t *testing.T) {
	for _, restart := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		for _, how := range []string{"terminate", "delete", "deadline"} {
			t.Run(fmt.Sprintf("%s/%s", how, restart), func(t *testing.T) {
				killAdoptedStep(t, restart, how)
			})
		}
	}
}

func killAdoptedStep(t *testing.T, restart syscall.Signal, how string) {
	mark, secs := syncLog(t), uniqueSleep(t)
	db := filepath.Join(t.TempDir(), "t.db")
	s1 := startServer(t, "--db", db)
	deadline := ""
	if how == "deadline" {
		deadline = `"activeDeadlineSeconds": 4, `
	}
	wf := `{"workflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "long"},
	  "spec": {` + deadline + `"entrypoint": "main", "templates": [{"name": "main", "synchronization": {"mutexes": [{"name": "m1"}]},
	  "container": {"image": "x", "command": ["sh", "-c", "echo started >> ` + mark + `; sleep ` + secs + `; echo after"]}}]}}}`
	if code, out := httpDo(t, "POST", s1.url+"/api/v1/workflows/default", "", wf); code != 200 {
		t.Fatalf("create: %d %v", code, out)
	}
	awaitFile(t, mark, 10*time.Second)
	awaitGroupRecorded(t, db+".data", 10*time.Second)
	if restart == syscall.SIGTERM {
		s1.stop(t)
	} else {
		_ = s1.cmd.Process.Kill()
		if err := <-s1.done; err == nil {
			t.Fatal("the server exited cleanly after SIGKILL")
		}
	}
	s2 := startServer(t, "--db", db)
	if len(processesMentioning("sleep\x00"+secs)) == 0 {
		t.Fatal("the step did not survive the restart")
	}
	begin := time.Now()
	switch how {
	case "terminate":
		if code, out := httpDo(t, "PUT", s2.url+"/api/v1/workflows/default/long/terminate", "", ""); code != 200 {
			t.Fatalf("terminate: %d %v", code, out)
		}
	case "delete":
		req, _ := http.NewRequest("DELETE", s2.url+"/api/v1/workflows/default/long", nil)
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatalf("delete, %s after it was sent: %v (it waits for the step to end by itself)", time.Since(begin).Round(time.Millisecond), err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("delete: %s", resp.Status)
		}
		if left := processesMentioning("sleep\x00" + secs); len(left) > 0 {
			t.Fatalf("delete returned with the step still running: %v", left)
		}
		assertLockFree(t, s2.url)
		s2.stop(t)
		return
	}
	for p := wfPhase(t, s2.url, "long"); p != "Failed"; p = wfPhase(t, s2.url, "long") {
		if time.Since(begin) > 10*time.Second {
			_, out := httpDo(t, "GET", s2.url+"/api/v1/workflows/default/long", "", "")
			t.Fatalf("workflow %s %s after %s, want Failed: %v", p, how, time.Since(begin).Round(time.Millisecond), out["status"])
		}
		time.Sleep(50 * time.Millisecond)
	}
	if left := processesMentioning("sleep\x00" + secs); len(left) > 0 {
		t.Fatalf("the workflow ended Failed with its step still running: %v", left)
	}
	_, out := httpDo(t, "GET", s2.url+"/api/v1/workflows/default/long", "", "")
	st, _ := out["status"].(map[string]any)
	nodes, _ := st["nodes"].(map[string]any)
	for _, n := range nodes {
		n := n.(map[string]any)
		if n["type"] == "Pod" && n["phase"] != "Failed" {
			t.Errorf("step node %v, want Failed", n)
		}
	}
	assertLockFree(t, s2.url)
	s2.stop(t)
}

// awaitGroupRecorded waits until a supervisor under dataDir recorded a
// step's process group: from then on the step counts as started.
func awaitGroupRecorded(t *testing.T, dataDir string, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		found := false
		_ = filepath.WalkDir(dataDir, func(path string, e fs.DirEntry, err error) error {
			// The step's record (executor.StateFile) holds a "group" line.
			if err == nil && e.Name() == "state" {
				if b, err := os.ReadFile(path); err == nil && strings.Contains(string(b), "\ngroup ") {
					found = true
					return filepath.SkipAll
				}
			}
			return nil
		})
		if found {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("no step recorded its process group under %s", dataDir)
		}
	}
}

// assertLockFree checks that the mutex m1 has no holder and no waiter.
func assertLockFree(t *testing.T, url string) {
	t.Helper()
	_, out := httpDo(t, "GET", url+"/api/v1/sync-status?lock=default/Mutex/m1", "", "")
	items, _ := out["items"].([]any)
	for _, it := range items {
		lock := it.(map[string]any)
		h, _ := lock["holders"].(map[string]any)
		w, _ := lock["waiters"].([]any)
		if len(h) != 0 || len(w) != 0 {
			t.Fatalf("mutex m1 after the workflow ended: holders %v, waiters %v", h, w)
		}
	}
}

// `semaflow run --db` resumes a step a killed run left running; a SIGTERM
// then terminates it: the step's processes die, also when the supervisor
// that runs them is frozen (the grace period's kill), and run exits
// within its grace period.
func TestResumedRunKillsAdoptedStepOnSignal(t *testing.T) {
	for _, frozen := range []bool{false, true} {
		t.Run(fmt.Sprintf("frozen=%v", frozen), func(t *testing.T) {
			mark, secs := syncLog(t), uniqueSleep(t)
			db := filepath.Join(t.TempDir(), "r.db")
			wf := writeFile(t, "long.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: long}
spec:
  entrypoint: main
  templates:
  - name: main
    synchronization: {mutexes: [{name: m1}]}
    container: {image: x, command: [sh, -c, "echo started >> `+mark+`; sleep `+secs+`; echo after"]}
`)
			first := exec.Command(binary, "run", "--plain", "--db", db, wf)
			if err := first.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = first.Process.Kill() })
			awaitFile(t, mark, 10*time.Second)
			awaitGroupRecorded(t, db+".data", 10*time.Second)
			sup := supervisorOf(t, first.Process.Pid)
			_ = first.Process.Kill()
			_ = first.Wait()
			t.Cleanup(func() { _ = syscall.Kill(sup, syscall.SIGKILL) })
			if frozen {
				if err := syscall.Kill(sup, syscall.SIGSTOP); err != nil {
					t.Fatal(err)
				}
			}
			var stderr syncBuffer
			second := exec.Command(binary, "run", "--plain", "--db", db, "--grace-period", testGrace.String())
			second.Stderr = &stderr
			if err := second.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = second.Process.Kill() })
			done := make(chan error, 1)
			go func() { done <- second.Wait() }()
			for end := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String(), "resuming"); time.Sleep(20 * time.Millisecond) {
				if time.Now().After(end) {
					t.Fatalf("the second run did not resume:\n%s", stderr.String())
				}
			}
			if err := second.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			took, code := waitExit(t, done, testGrace+graceSlack)
			t.Logf("run exited %d, %s after SIGTERM:\n%s", code, took.Round(time.Millisecond), stderr.String())
			if left := processesMentioning("sleep\x00" + secs); len(left) > 0 {
				time.Sleep(200 * time.Millisecond)
				if left := processesMentioning("sleep\x00" + secs); len(left) > 0 {
					t.Fatalf("the resumed step outlived run: %v", left)
				}
			}
			if !frozen && took > testGrace {
				t.Errorf("run took %s to end a terminated workflow, want well within its grace period", took)
			}
		})
	}
}
