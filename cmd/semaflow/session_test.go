package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the probe of stopOutsideWrite
)

const plainWorkflow = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: plain-}\nspec:\n  entrypoint: main\n  templates:\n  - {name: main, container: {image: x, command: [\"true\"]}}\n"

// While a server's session is live, a second server, `run --db` and
// `sync set --db` on its database refuse to start, naming it and saying
// what to do instead; once it stopped, the database is free.
func TestSecondEngineOnALiveStoreRefuses(t *testing.T) {
	db := filepath.Join(t.TempDir(), "owned.db")
	s := startServer(t, "--db", db)
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	wf := writeFile(t, "wf.yaml", plainWorkflow)
	for _, c := range []struct {
		args   []string
		advice string
	}{
		{[]string{"server", "--addr", "127.0.0.1:0", "--db", db}, "semaflow submit"},
		{[]string{"run", "--db", db, wf}, "semaflow submit"},
		{[]string{"sync", "set", "--db", db, "default/Database/k", "1"}, "without --db"},
	} {
		out, code := runWithin(t, 20*time.Second, c.args...)
		var missing []string
		for _, want := range []string{"in use by semaflow server", fmt.Sprintf("pid %d", s.cmd.Process.Pid), host, "since", s.url, c.advice, "another --db"} {
			if !strings.Contains(out, want) {
				missing = append(missing, want)
			}
		}
		if code != 1 || len(missing) > 0 {
			t.Errorf("semaflow %s on a live server's database: exit %d, want 1 and a message with %q:\n%s", c.args[0], code, missing, out)
		}
	}
	if _, out := httpDo(t, "GET", s.url+"/api/v1/workflows/default", "", ""); len(out["items"].([]any)) != 0 {
		t.Fatalf("a refused engine ran something: %v", out["items"])
	}
	s.stop(t)
	if out, code := run(t, "run", "--db", db, wf); code != 0 {
		t.Fatalf("run on the database of a stopped server: exit %d\n%s", code, out)
	}
}

// Servers racing to start on one new database: exactly one wins, the
// others refuse.
func TestEnginesRacingForAStoreOneWins(t *testing.T) {
	db := filepath.Join(t.TempDir(), "race.db")
	const n = 4
	var wg sync.WaitGroup
	results := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(binary, "server", "--addr", "127.0.0.1:0", "--db", db)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				results[i] = err.Error()
				return
			}
			if err := cmd.Start(); err != nil {
				results[i] = err.Error()
				return
			}
			sc := bufio.NewScanner(stdout)
			if sc.Scan() && strings.Contains(sc.Text(), "listening") {
				results[i] = "listening"
				// Held until all have tried: a winner that stopped would
				// free the database for a slow loser.
				time.Sleep(3 * time.Second)
				_ = cmd.Process.Signal(syscall.SIGTERM)
			}
			_ = cmd.Wait()
			if results[i] == "" {
				results[i] = stderr.String()
			}
		}()
	}
	wg.Wait()
	won := 0
	for i, r := range results {
		switch {
		case r == "listening":
			won++
		case !strings.Contains(r, "in use by semaflow server"):
			t.Errorf("server %d neither started nor refused: %q", i, r)
		}
	}
	if won != 1 {
		t.Fatalf("%d servers started on one database, want exactly 1: %q", won, results)
	}
}

// A server is stopped (SIGSTOP) for longer than its lease while a step
// holds a mutex; another server takes the database over and goes on.
// When the first is continued it finds its session lost, grants nothing
// and exits with an error. The steps' own log shows the mutex never held
// twice and its tokens strictly increasing.
func TestStoppedServerPastItsLeaseIsFenced(t *testing.T) {
	log := syncLog(t)
	db := filepath.Join(t.TempDir(), "fence.db")
	a, stderrA := startServerStderr(t, "--db", db, "--lease-ttl", "1s")
	const n = 4
	for i := range n {
		body := fmt.Sprintf(`{"workflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "m%02d"},
		  "spec": {"entrypoint": "main", "synchronization": {"mutexes": [{"name": "m"}]},
		  "templates": [{"name": "main", "container": {"image": "x", "command": ["sh", "-c", %q]}}]}}}`, i, recordStep(log, "$SEMAFLOW_WORKFLOW", "1.5"))
		if code, out := httpDo(t, "POST", a.url+"/api/v1/workflows/default", "", body); code != 200 {
			t.Fatalf("submit m%02d: %d %v", i, code, out)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(readLog(t, log)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no step started within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stopOutsideWrite(t, a.cmd.Process, db)
	stopped := true
	t.Cleanup(func() {
		if stopped {
			_ = a.cmd.Process.Signal(syscall.SIGCONT)
		}
	})
	time.Sleep(2500 * time.Millisecond) // the lease (1 s) has long expired
	b := startServer(t, "--db", db, "--lease-ttl", "1s")
	time.Sleep(time.Second)
	if err := a.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	stopped = false
	select {
	case err := <-a.done:
		if err == nil {
			t.Fatalf("the fenced server exited 0; stderr:\n%s", stderrA.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("the server whose session was taken over still runs; stderr:\n%s", stderrA.String())
	}
	msg := stderrA.String()
	if !strings.Contains(msg, "took over") || !strings.Contains(msg, "lease") {
		t.Fatalf("the fenced server's error does not say its lease was lost and taken over:\n%s", msg)
	}
	t.Logf("the fenced server said:\n%s", msg)
	deadline = time.Now().Add(30 * time.Second)
	for i := 0; i < n; {
		name := fmt.Sprintf("m%02d", i)
		switch p := wfPhase(t, b.url, name); p {
		case "Succeeded":
			i++
			continue
		case "Failed", "Error":
			_, out := httpDo(t, "GET", b.url+"/api/v1/workflows/default/"+name, "", "")
			t.Fatalf("%s ended %q: %v", name, p, out["status"])
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still %q after 30 s", name, wfPhase(t, b.url, name))
		}
		time.Sleep(50 * time.Millisecond)
	}
	events := readLog(t, log)
	if starts := countStarts(events); starts != n {
		t.Fatalf("%d steps started, want %d:\n%v", starts, n, events)
	}
	if peak := maxConcurrent(events); peak > 1 {
		t.Fatalf("the mutex had %d holders at once across the takeover:\n%v", peak, events)
	}
	tokensStrictlyIncrease(t, events, "default/Mutex/m")
	b.stop(t)
}

// runWithin is run, killing the command after d: an engine that should
// have refused may instead run for ever.
func runWithin(t *testing.T, d time.Duration, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		return out.String() + fmt.Sprintf("\n[still running after %v: killed]", d), -1
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return out.String(), exitErr.ExitCode()
	}
	if err != nil {
		t.Fatalf("running %v: %v", args, err)
	}
	return out.String(), 0
}

func countStarts(events []stepEvent) int {
	n := 0
	for _, e := range events {
		if e.start {
			n++
		}
	}
	return n
}

// tokensStrictlyIncrease checks that, in the order steps started, each
// holds a higher token for lock than every step before it.
func tokensStrictlyIncrease(t *testing.T, events []stepEvent, lock string) {
	t.Helper()
	var starts []stepEvent
	for _, e := range events {
		if e.start {
			starts = append(starts, e)
		}
	}
	sort.SliceStable(starts, func(i, j int) bool { return starts[i].at < starts[j].at })
	var last uint64
	for _, e := range starts {
		tok, ok := e.tokens[lock]
		if !ok {
			t.Fatalf("%s started without a token for %s", e.who, lock)
		}
		if tok <= last {
			t.Fatalf("%s started with token %d for %s after a step with token %d", e.who, tok, lock, last)
		}
		last = tok
	}
}

// startServerStderr is startServer with the server's stderr kept.
func startServerStderr(t *testing.T, args ...string) (*serverProc, *lockedWriter) {
	t.Helper()
	stderr := &lockedWriter{}
	return startServerTo(t, stderr, args...), stderr
}

// lockedWriter lets the test read what a process writes meanwhile.
type lockedWriter struct {
	mu sync.Mutex
	w  strings.Builder
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// A server stopped past its lease while no other engine took the store
// over renews its lease when continued, says so, and goes on.
func TestStoppedServerNobodyTookOverGoesOn(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pause.db")
	s, stderr := startServerStderr(t, "--db", db, "--lease-ttl", "1s")
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond)
	if err := s.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	body := `{"workflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "after"},
	  "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "x", "command": ["true"]}}]}}}`
	if code, out := httpDo(t, "POST", s.url+"/api/v1/workflows/default", "", body); code != 200 {
		t.Fatalf("submit after the pause: %d %v\n%s", code, out, stderr.String())
	}
	deadline := time.Now().Add(10 * time.Second)
	for wfPhase(t, s.url, "after") != "Succeeded" {
		if time.Now().After(deadline) {
			t.Fatalf("workflow %q after the pause, want Succeeded\n%s", wfPhase(t, s.url, "after"), stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if msg := stderr.String(); !strings.Contains(msg, "no other engine took the store over") {
		t.Fatalf("the server did not log that its expired lease was renewed:\n%s", msg)
	}
	s.stop(t)
}

// stopOutsideWrite stops p (SIGSTOP) at a moment it holds no write
// transaction on db. SQLite has one write lock per file: an engine stopped
// mid-write keeps it, and every other engine waits for it (then fails
// with "the database is locked"), which no lease can undo. So p is
// continued and stopped again until a probe can take the lock.
func stopOutsideWrite(t *testing.T, p *os.Process, db string) {
	t.Helper()
	probe, err := sql.Open("sqlite", "file:"+db+"?_pragma=busy_timeout(100)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	for range 50 {
		if err := p.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		tx, err := probe.Begin()
		if err == nil {
			_ = tx.Rollback()
			return
		}
		_ = p.Signal(syscall.SIGCONT)
		time.Sleep(30 * time.Millisecond)
	}
	t.Fatal("the server held the database's write lock at each of 50 stops")
}
