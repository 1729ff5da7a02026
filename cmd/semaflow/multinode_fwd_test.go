package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/testkit"
)

// startNodeServer runs one node of a database shared by several, with
// short leases.
func startNodeServer(t *testing.T, dsn, name string) *serverProc {
	t.Helper()
	return startServer(t, "--db", dsn, "--node-name", name, "--data", t.TempDir(), "--lease-ttl", "2s", "--lease-margin", "500ms")
}

// submitLong submits to s a workflow whose one step runs script, with
// retries, and waits until it runs.
func submitLong(t *testing.T, s *serverProc, name, script string) {
	t.Helper()
	wf := fmt.Sprintf(`{"workflow": {"metadata": {"name": %q}, "spec": {"entrypoint": "main",
	  "templates": [{"name": "main", "retryStrategy": {"limit": 2}, "container": {"image": "x", "command": ["sh", "-c", %q]}}]}}}`, name, script)
	if code, out := httpDo(t, "POST", s.url+"/api/v1/workflows/default", "", wf); code != 200 {
		t.Fatalf("submit %s: %d %v", name, code, out)
	}
	waitFor(t, 10*time.Second, name+" runs", func() bool { return wfPhase(t, s.url, name) == "Running" })
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func wfSuspended(t *testing.T, url, name string) bool {
	_, out := httpDo(t, "GET", url+"/api/v1/workflows/default/"+name, "", "")
	spec, _ := out["spec"].(map[string]any)
	return spec["suspend"] == true
}

// Two servers on one PostgreSQL database: a client of either sees and
// acts on everything. Through n2, what n1 runs is read (logs, logs -f,
// after it ended too), suspended, resumed, stopped and deleted; once n1
// is kill -9'd, requests through n2 answer 503 with Retry-After until n2
// adopts its workflow, then work.
func TestTwoServersOneDatabaseAnyNodeServes(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	n1 := startNodeServer(t, dsn, "n1")
	n2 := startNodeServer(t, dsn, "n2")

	submitLong(t, n1, "long", "i=0; while [ $i -lt 600 ]; do i=$((i+1)); echo tick $i; sleep 0.1; done")
	waitFor(t, 10*time.Second, "a line in n1's log", func() bool {
		out, _ := run(t, "logs", "long", "--server", n1.url)
		return strings.Contains(out, "tick 1\n")
	})
	if out := mustRun(t, 0, "logs", "long", "--server", n2.url); !strings.Contains(out, ": tick 1\n") {
		t.Fatalf("logs through n2 while the step runs:\n%s", out)
	}

	// logs -f through n2: lines come while the step writes them, and the
	// command ends when the workflow does.
	follow := exec.Command(binary, "logs", "-f", "long", "--server", n2.url)
	stdout, err := follow.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = follow.Process.Kill() })
	lines := make(chan string, 1024)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// The lines written after logs -f started prove it follows.
	seenNew := false
	for deadline := time.After(10 * time.Second); !seenNew; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("logs -f through n2 ended while the step runs")
			}
			n, _ := strconv.Atoi(l[strings.LastIndex(l, " ")+1:])
			seenNew = n > 40
		case <-deadline:
			t.Fatal("logs -f through n2: no new line within 10s")
		}
	}

	mustRun(t, 0, "suspend", "long", "--server", n2.url)
	waitFor(t, 5*time.Second, "suspended through n2", func() bool { return wfSuspended(t, n1.url, "long") })
	mustRun(t, 0, "resume", "long", "--server", n2.url)
	waitFor(t, 5*time.Second, "resumed through n2", func() bool { return !wfSuspended(t, n1.url, "long") })
	mustRun(t, 0, "stop", "long", "--server", n2.url)
	waitFor(t, 10*time.Second, "long ends after a stop through n2", func() bool {
		p := wfPhase(t, n1.url, "long")
		return p == "Failed" || p == "Succeeded" || p == "Error"
	})
	done := make(chan error, 1)
	go func() {
		for range lines {
		}
		done <- follow.Wait()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("logs -f through n2: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("logs -f through n2 did not end with the workflow")
	}
	if out := mustRun(t, 0, "logs", "long", "--server", n2.url); !strings.Contains(out, ": tick 1\n") {
		t.Fatalf("logs through n2 after the workflow ended:\n%s", out)
	}

	// A delete through n2 terminates the workflow on n1, then removes it.
	submitLong(t, n1, "doomed", "sleep 60")
	mustRun(t, 0, "delete", "doomed", "--server", n2.url)
	for _, s := range []*serverProc{n1, n2} {
		if code, _ := httpDo(t, "GET", s.url+"/api/v1/workflows/default/doomed", "", ""); code != 404 {
			t.Fatalf("doomed after its delete through n2: %d on %s, want 404", code, s.url)
		}
	}

	// n1 dies with a workflow: n2 answers 503 with Retry-After until it
	// has adopted it, then acts on it.
	submitLong(t, n1, "survivor", "sleep 60")
	if err := n1.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := <-n1.done; err == nil {
		t.Fatal("n1 exited cleanly after kill -9")
	}
	unavailable := 0
	start := time.Now()
	for {
		req, _ := http.NewRequest("PUT", n2.url+"/api/v1/workflows/default/survivor/suspend", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode == 200 {
			break
		}
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		if resp.StatusCode != 503 || secs < 1 {
			t.Fatalf("suspend through n2 after n1 died: %d (Retry-After %q), want 503 with Retry-After until adoption", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		unavailable++
		if time.Since(start) > 20*time.Second {
			t.Fatal("n2 did not adopt survivor within 20s of n1's death")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if unavailable == 0 {
		t.Error("no 503 before adoption: the suspend went through while n1's lease held")
	}
	t.Logf("503 answered %d times over %v until n2 adopted survivor", unavailable, time.Since(start).Round(time.Millisecond))
	waitFor(t, 5*time.Second, "survivor suspended on n2", func() bool { return wfSuspended(t, n2.url, "survivor") })
	mustRun(t, 0, "terminate", "survivor", "--server", n2.url)
	waitFor(t, 10*time.Second, "survivor ends", func() bool { return wfPhase(t, n2.url, "survivor") == "Failed" })
	n2.stop(t)
}
