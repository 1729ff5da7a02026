package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/testkit"
)

// Database semaphores on PostgreSQL, with two nodes: the limit is set with
// `sync set --db URL` (no server in between), workflows submitted to
// either node wait on it across nodes, and raising the limit through one
// node starts the waiter of the other. `sync list --db URL` and both
// nodes' sync-status agree.
func TestDatabaseSemaphoreAcrossNodes(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	if out, code := run(t, "sync", "set", "--db", dsn, "default/Database/gpu", "1"); code != 0 || !strings.Contains(out, "limit 1") {
		t.Fatalf("sync set --db: exit %d: %s", code, out)
	}
	nodes := make([]*serverProc, 2)
	for i := range nodes {
		nodes[i] = startServer(t, "--db", dsn, "--node-name", fmt.Sprintf("n%d", i+1),
			"--data", filepath.Join(t.TempDir(), "data"), "--lease-ttl", "3s", "--lease-margin", "1s")
	}
	submit := func(n *serverProc, name string) {
		t.Helper()
		body := fmt.Sprintf(`{"workflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": %q},
		  "spec": {"entrypoint": "main", "synchronization": {"semaphores": [{"database": {"key": "gpu"}}]},
		  "templates": [{"name": "main", "container": {"image": "x", "command": ["sleep", "30"]}}]}}}`, name)
		if code, out := httpDo(t, "POST", n.url+"/api/v1/workflows/default", "", body); code != 200 {
			t.Fatalf("submit %s: %d %v", name, code, out)
		}
	}
	submit(nodes[0], "first")
	waitPhase(t, nodes[1].url, "first", "Running", 20*time.Second)
	submit(nodes[1], "second")
	// second waits on node 2 for the permit first holds on node 1.
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, out := httpDo(t, "GET", nodes[0].url+"/api/v1/sync-status?lock=default/Database/gpu", "", "")
		if s := fmt.Sprint(out); strings.Contains(s, "second") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("second never queued for default/Database/gpu: %v", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if p := wfPhase(t, nodes[1].url, "second"); p != "Pending" {
		t.Fatalf("second is %q while the only permit is held, want Pending", p)
	}
	if out, code := run(t, "sync", "set", "--server", nodes[0].url, "default/Database/gpu", "2"); code != 0 {
		t.Fatalf("sync set through node 1: exit %d: %s", code, out)
	}
	waitPhase(t, nodes[0].url, "second", "Running", 10*time.Second)
	out, code := run(t, "sync", "list", "--db", dsn)
	if code != 0 || !regexp.MustCompile(`default/Database/gpu\s+2\s+2\s+0`).MatchString(out) {
		t.Fatalf("sync list --db: exit %d, want gpu with limit 2, 2 held, 0 waiting:\n%s", code, out)
	}
}

// `sync set --db URL` is no node: it works beside a server that took the
// default node name (the host name), which it would otherwise share.
func TestSyncSetBesideAServerWithTheDefaultNodeName(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	startServer(t, "--db", dsn, "--data", filepath.Join(t.TempDir(), "data"))
	if out, code := run(t, "sync", "set", "--db", dsn, "default/Database/gpu", "3"); code != 0 || !strings.Contains(out, "limit 3") {
		t.Fatalf("sync set --db beside a server: exit %d: %s", code, out)
	}
}
