package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// semaflow nodes shows the engines recorded in a server's store (table,
// wide, json, yaml), and reads a database directly with --db while the
// server holds it, without disturbing it.
func TestNodesCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "db")
	s := startServer(t, "--db", db, "--node-name", "e2e-node")
	wf := `{"workflow": {"metadata": {"name": "sleeper"}, "spec": {"entrypoint": "main",
	  "templates": [{"name": "main", "container": {"image": "x", "command": ["sleep", "30"]}}]}}}`
	if code, out := httpDo(t, "POST", s.url+"/api/v1/workflows/default", "", wf); code != 200 {
		t.Fatalf("submit: %d %v", code, out)
	}
	pid := s.cmd.Process.Pid

	out := mustRun(t, 0, "nodes", "--server", s.url)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || strings.Join(strings.Fields(lines[0]), " ") != "NODE KIND HOST PID LEASE WORKFLOWS SELF" {
		t.Fatalf("nodes:\n%s", out)
	}
	row := regexp.MustCompile(fmt.Sprintf(`^e2e-node\s+server\s+\S+\s+%d\s+expires in \d+s\s+1\s+\*$`, pid))
	if !row.MatchString(lines[1]) {
		t.Errorf("nodes row %q, want e2e-node, server, pid %d, a lease to come, 1 workflow, self", lines[1], pid)
	}

	out = mustRun(t, 0, "nodes", "--server", s.url, "-o", "wide")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 ||
		!strings.HasSuffix(strings.Join(strings.Fields(lines[0]), " "), "SELF ADDRESS SESSION STARTED") || !strings.Contains(lines[1], s.url) {
		t.Errorf("nodes -o wide:\n%s", out)
	}

	var items []map[string]any
	out = mustRun(t, 0, "nodes", "--server", s.url, "-o", "json")
	if err := json.Unmarshal([]byte(out), &items); err != nil || len(items) != 1 {
		t.Fatalf("nodes -o json: %v\n%s", err, out)
	}
	n := items[0]
	if n["name"] != "e2e-node" || n["kind"] != "server" || n["pid"] != float64(pid) || n["self"] != true || n["live"] != true ||
		n["workflowCount"] != float64(1) || n["address"] != s.url {
		t.Errorf("nodes -o json: %v", n)
	}
	if at, _ := n["leaseExpiresAt"].(string); !leaseAhead(at) {
		t.Errorf("leaseExpiresAt %q, want an RFC 3339 time ahead", at)
	}
	wfs, _ := n["workflows"].([]any)
	if w, _ := wfs[0].(map[string]any); len(wfs) != 1 || w["namespace"] != "default" || w["name"] != "sleeper" {
		t.Errorf("nodes -o json workflows: %v", wfs)
	}
	if out := mustRun(t, 0, "nodes", "--server", s.url, "-o", "yaml"); !strings.Contains(out, "name: e2e-node") || !strings.Contains(out, "workflowCount: 1") {
		t.Errorf("nodes -o yaml:\n%s", out)
	}
	if out, code := run(t, "nodes", "--server", s.url, "-o", "xml"); code == 0 || !strings.Contains(out, "-o xml") {
		t.Errorf("nodes -o xml: exit %d\n%s", code, out)
	}

	// --db reads the database the server holds: the same node, not self.
	out = mustRun(t, 0, "nodes", "--db", db)
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !regexp.MustCompile(fmt.Sprintf(`^e2e-node\s+server\s+\S+\s+%d\s+expires in \d+s\s+1$`, pid)).MatchString(lines[1]) {
		t.Errorf("nodes --db:\n%s", out)
	}
	if out, code := run(t, "nodes", "--db", filepath.Join(t.TempDir(), "none")); code == 0 || !strings.Contains(out, "none") {
		t.Errorf("nodes --db on a missing file: exit %d\n%s", code, out)
	}

	// A server stopped gracefully closes its session: no node is left.
	if code, out := httpDo(t, "PUT", s.url+"/api/v1/workflows/default/sleeper/terminate", "", "{}"); code != 200 {
		t.Fatalf("terminate: %d %v", code, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for wfPhase(t, s.url, "sleeper") != "Failed" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	s.stop(t)
	if out := mustRun(t, 0, "nodes", "--db", db, "-o", "json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("nodes --db after the server stopped:\n%s", out)
	}
}

func leaseAhead(at string) bool {
	tm, err := time.Parse(time.RFC3339, at)
	return err == nil && tm.After(time.Now())
}
