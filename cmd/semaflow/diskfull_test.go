package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// smallDisk mounts a tmpfs of size MiB on a temporary directory and
// unmounts it when the test ends.
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs to fill needs root; CI runs this test as root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dm", size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs on %s: %v %s", dir, err, out)
	}
	t.Cleanup(func() {
		// Lazily: a step supervisor may still hold a file open there.
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file until the disk holding it has no room left.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", path, err)
			}
			return
		}
	}
}

func heldWorkflow(name, hold, started string) string {
	// The step prints nothing: on a full disk its output could not be
	// kept, and the test wants its true outcome to be success.
	script := fmt.Sprintf("touch %s/$SEMAFLOW_WORKFLOW; while [ -e %s ]; do sleep 0.05; done", started, hold)
	return fmt.Sprintf(`{"workflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": %q},
	  "spec": {"entrypoint": "main", "synchronization": {"semaphores": [{"configMapKeyRef": {"name": "limits", "key": "k"}}]},
	  "templates": [{"name": "main", "container": {"image": "x", "command": ["sh", "-c", %q]}}]}}}`, name, script)
}

// The disk under the server's database and step data fills while steps
// hold a semaphore: the API answers 507 naming the database, step results
// wait in memory, and once space returns every workflow ends with its
// true outcome and no permit is left held, with no restart.
func TestServerRecoversFromAFullDisk(t *testing.T) {
	disk := smallDisk(t, 24)
	// Outside /tmp, which steps see privately, and open to a step that
	// runs as another user.
	tmp := filepath.Dir(syncLog(t))
	hold, started := filepath.Join(tmp, "hold"), filepath.Join(tmp, "started")
	if err := os.WriteFile(hold, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(started, 0o777); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{tmp, started} {
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	db := filepath.Join(disk, "sf.db")
	s := startServer(t, "--db", db, "--data", filepath.Join(disk, "data"))
	if code, out := httpDo(t, "POST", s.url+"/api/v1/configmaps/default", "", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: limits}\ndata: {k: \"2\"}\n"); code != 200 {
		t.Fatalf("apply limit: %d %v", code, out)
	}
	var names []string
	for i := range 4 {
		name := fmt.Sprintf("w%d", i)
		if code, out := httpDo(t, "POST", s.url+"/api/v1/workflows/default", "", heldWorkflow(name, hold, started)); code != 200 {
			t.Fatalf("submit %s: %d %v", name, code, out)
		}
		names = append(names, name)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		entries, _ := os.ReadDir(started)
		if len(entries) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d steps started, want the semaphore's 2", len(entries))
		}
		time.Sleep(20 * time.Millisecond)
	}

	fill(t, filepath.Join(disk, "filler"))
	// SQLite may still reuse room its journal already has: submit until a
	// write finds none. What was accepted waits for the semaphore.
	refused := false
	for i := 0; i < 200 && !refused; i++ {
		name := fmt.Sprintf("f%d", i)
		code, out := httpDo(t, "POST", s.url+"/api/v1/workflows/default", "", heldWorkflow(name, hold, started))
		switch code {
		case 200:
			names = append(names, name)
		case 507:
			refused = true
			msg := fmt.Sprint(out["message"])
			if out["code"] != float64(8) || !strings.Contains(msg, "the disk is full") || !strings.Contains(msg, db) {
				t.Fatalf("507 body %v: want code 8 and a message saying the disk is full, naming %s", out, db)
			}
		default:
			t.Fatalf("submit on a full disk: %d %v, want 507", code, out)
		}
	}
	if !refused {
		t.Fatal("200 submits on a full disk were all accepted")
	}
	// The holders end while nothing can be written.
	if err := os.Remove(hold); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := os.Remove(filepath.Join(disk, "filler")); err != nil {
		t.Fatal(err)
	}

	deadline = time.Now().Add(30 * time.Second)
	for _, name := range names {
		for {
			p := wfPhase(t, s.url, name)
			if p == "Succeeded" {
				break
			}
			if p == "Failed" || p == "Error" || time.Now().After(deadline) {
				_, wf := httpDo(t, "GET", s.url+"/api/v1/workflows/default/"+name, "", "")
				t.Fatalf("%s is %q after space returned, want Succeeded: %v", name, p, wf["status"])
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	_, out := httpDo(t, "GET", s.url+"/api/v1/sync-status?lock=default/ConfigMap/limits/k", "", "")
	items, _ := out["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("sync status: %v", out)
	}
	lock := items[0].(map[string]any)
	if h, w := lock["holders"].(map[string]any), lock["waiters"].([]any); len(h) != 0 || len(w) != 0 {
		t.Fatalf("after all ended: holders %v, waiters %v", h, w)
	}
	s.stop(t)
}

// Starting on a full disk says so, naming the database, whether the
// database is new or already there.
func TestStartOnAFullDiskSaysSo(t *testing.T) {
	disk := smallDisk(t, 4)
	old := filepath.Join(disk, "old.db")
	s := startServer(t, "--db", old, "--data", filepath.Join(disk, "data"))
	s.stop(t)
	fill(t, filepath.Join(disk, "filler"))
	wf := writeFile(t, "wf.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: x}\nspec:\n  entrypoint: main\n  templates:\n  - {name: main, container: {image: x, command: [\"true\"]}}\n")
	for _, c := range []struct{ db, verb string }{
		{filepath.Join(disk, "new.db"), "server"},
		{old, "server"},
		{filepath.Join(disk, "run.db"), "run"},
	} {
		args := []string{c.verb, "--db", c.db}
		if c.verb == "server" {
			args = append(args, "--data", filepath.Join(disk, "data"), "--addr", "127.0.0.1:0")
		} else {
			args = append(args, wf)
		}
		out, code := run(t, args...)
		if code == 0 || !strings.Contains(out, "the disk is full") || !strings.Contains(out, c.db) {
			t.Errorf("semaflow %s on a full disk: exit %d, output %q; want a failure saying the disk is full, naming %s", c.verb, code, out, c.db)
		}
	}
}

// A server whose database files already have their room (it was killed)
// can start on a full disk; it then warns that the disk is full, naming
// the database, rather than failing at its first write.
func TestStartOnAFullDiskWarns(t *testing.T) {
	disk := smallDisk(t, 4)
	db := filepath.Join(disk, "sf.db")
	s := startServer(t, "--db", db, "--data", filepath.Join(disk, "data"))
	_ = s.cmd.Process.Kill()
	if err := <-s.done; err == nil {
		t.Fatal("the server exited cleanly after SIGKILL")
	}
	fill(t, filepath.Join(disk, "filler"))
	cmd := exec.Command(binary, "server", "--addr", "127.0.0.1:0", "--db", db, "--data", filepath.Join(disk, "data"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 200)
	n, _ := out.Read(first)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	if !strings.Contains(string(first[:n]), "listening") {
		t.Fatalf("the server did not start: %q %s", first[:n], stderr.String())
	}
	if msg := stderr.String(); !strings.Contains(msg, "the disk is full") || !strings.Contains(msg, db) {
		t.Fatalf("stderr %q: want a warning that the disk is full, naming %s", msg, db)
	}
}
