package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The grace period the tests give, and how much later than it the
// process may end (the kill of its steps, the exit itself, a loaded box).
const (
	testGrace  = 2 * time.Second
	graceSlack = 3 * time.Second
)

// awaitFile waits for a step to write to path.
func awaitFile(t *testing.T, path string, d time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		if st, err := os.Stat(path); err == nil && st.Size() > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the step never wrote %s", path)
		}
	}
}

// stopSupervisor freezes the step supervisor of engine (SIGSTOP): the
// steps' kills and exits never arrive, so a graceful end would wait
// forever. The cleanup kills it, should the test fail first.
func stopSupervisor(t *testing.T, engine int) int {
	t.Helper()
	sup := supervisorOf(t, engine)
	if err := syscall.Kill(sup, syscall.SIGSTOP); err != nil {
		t.Fatalf("SIGSTOP of the supervisor %d: %v", sup, err)
	}
	t.Cleanup(func() { _ = syscall.Kill(sup, syscall.SIGKILL) })
	return sup
}

// uniqueSleep is a sleep command line no other process has, so the test
// finds its step (and the cleanup kills it, should the test fail first).
func uniqueSleep(t *testing.T) string {
	arg := fmt.Sprintf("3600.%06d", time.Now().UnixNano()%1e6)
	t.Cleanup(func() {
		for _, p := range processesMentioning("sleep\x00" + arg) {
			if pid, err := strconv.Atoi(strings.SplitN(p, ":", 2)[0]); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	return arg
}

func waitExit(t *testing.T, done <-chan error, within time.Duration) (time.Duration, int) {
	t.Helper()
	start := time.Now()
	select {
	case err := <-done:
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("wait: %v", err)
		}
		return time.Since(start), code
	case <-time.After(within):
		t.Fatalf("still running %s after SIGTERM (grace %s)", within, testGrace)
	}
	return 0, 0
}

// SIGTERM ends `semaflow run` within its grace period even when the
// workflows cannot end (their supervisor is frozen): run kills the steps
// and exits 1, saying why; the step does not outlive it.
func TestRunExitsWithinGracePeriodWhenStuck(t *testing.T) {
	mark, secs := syncLog(t), uniqueSleep(t)
	wf := writeFile(t, "stuck.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: stuck}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: x, command: [sh, -c, "echo started >> `+mark+`; exec sleep `+secs+`"]}
`)
	var stderr bytes.Buffer
	cmd := exec.Command(binary, "run", "--plain", "--grace-period", testGrace.String(), wf)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	awaitFile(t, mark, 10*time.Second)
	stopSupervisor(t, cmd.Process.Pid)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	took, code := waitExit(t, done, testGrace+graceSlack)
	t.Logf("run exited %d, %s after SIGTERM", code, took.Round(time.Millisecond))
	if code != 1 || !strings.Contains(stderr.String(), "--grace-period") {
		t.Fatalf("exit code %d, stderr:\n%s\nwant 1 and a message naming --grace-period", code, stderr.String())
	}
	for deadline := time.Now().Add(graceSlack); len(processesMentioning("sleep\x00"+secs)) > 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the step outlived run: %v", processesMentioning("sleep\x00"+secs))
		}
	}
}

// SIGTERM ends `semaflow server` within its grace period while a client
// holds a watch stream open and the step supervisor is frozen.
func TestServerExitsWithinGracePeriod(t *testing.T) {
	mark, secs := syncLog(t), uniqueSleep(t)
	s := startServer(t, "--db", filepath.Join(t.TempDir(), "server.db"), "--grace-period", testGrace.String())
	wf := `{"workflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "slow"},
	  "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "x", "command": ["sh", "-c", "echo started >> ` + mark + `; exec sleep ` + secs + `"]}}]}}}`
	if code, out := httpDo(t, "POST", s.url+"/api/v1/workflows/default", "", wf); code != 200 {
		t.Fatalf("create: %d %v", code, out)
	}
	awaitFile(t, mark, 10*time.Second)
	sup := stopSupervisor(t, s.cmd.Process.Pid)
	resp, err := http.Get(s.url + "/api/v1/workflow-events/default")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	took, code := waitExit(t, s.done, testGrace+graceSlack)
	t.Logf("server exited %d, %s after SIGTERM", code, took.Round(time.Millisecond))
	// The server's steps go on under their supervisor by design; this
	// one is frozen, so it is ended here.
	_ = syscall.Kill(sup, syscall.SIGKILL)
}

// Past its grace period, `semaflow run` kills its steps' whole process
// groups itself, also when the step's process is a shell whose child
// (not exec'd) does the work: the parent-death signal of the frozen
// supervisor's kill reaches only the shell. It says so.
func TestRunKillsStepGroupsPastGracePeriod(t *testing.T) {
	modes := [][]string{{"--private-tmp=true"}, {"--private-tmp=false"}}
	if os.Geteuid() == 0 {
		modes = append(modes, []string{"--step-user", "nobody"})
	}
	for _, mode := range modes {
		t.Run(strings.Join(mode, " "), func(t *testing.T) {
			mark, secs := syncLog(t), uniqueSleep(t)
			wf := writeFile(t, "stuck.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: stuck}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: x, command: [sh, -c, "echo started >> `+mark+`; sleep `+secs+`; echo after"]}
`)
			var stderr bytes.Buffer
			var stdout syncBuffer
			cmd := exec.Command(binary, append(append([]string{"run", "--plain", "--grace-period", testGrace.String()}, mode...), wf)...)
			cmd.Stderr, cmd.Stdout = &stderr, &stdout
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			awaitFile(t, mark, 10*time.Second)
			// The step's own output can come before its supervisor has
			// recorded its process group (which it does before it reports
			// the step started): freezing the supervisor in between would
			// leave run nothing to kill. The node's Running line follows
			// the report.
			stepRunning := regexp.MustCompile(`stuck\s+stuck\s+Running`)
			for deadline := time.Now().Add(10 * time.Second); !stepRunning.MatchString(stdout.String()); time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("the step was not reported running within 10s:\n%s", stdout.String())
				}
			}
			stopSupervisor(t, cmd.Process.Pid)
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			took, code := waitExit(t, done, testGrace+graceSlack)
			t.Logf("run exited %d, %s after SIGTERM:\n%s", code, took.Round(time.Millisecond), stderr.String())
			if code != 1 || !strings.Contains(stderr.String(), "killed the processes of 1 running step") {
				t.Errorf("exit code %d, stderr:\n%s\nwant 1 and a message that the step's processes were killed", code, stderr.String())
			}
			// Already dead when run has exited: nothing is left to kill it later.
			if left := processesMentioning("sleep\x00" + secs); len(left) > 0 {
				time.Sleep(200 * time.Millisecond)
				if left := processesMentioning("sleep\x00" + secs); len(left) > 0 {
					t.Fatalf("the step's child outlived run: %v", left)
				}
			}
		})
	}
}

// A server's graceful stop ends the answers that stream (a watch, a
// followed log) as it begins: idle clients holding them open neither
// make it wait out its grace period nor make it exit 1.
func TestServerStopClosesOpenStreams(t *testing.T) {
	mark, secs := syncLog(t), uniqueSleep(t)
	const grace = 8 * time.Second
	s := startServer(t, "--db", filepath.Join(t.TempDir(), "server.db"), "--grace-period", grace.String())
	wf := `{"workflow": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "slow"},
	  "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "x", "command": ["sh", "-c", "echo started; echo started >> ` + mark + `; exec sleep ` + secs + `"]}}]}}}`
	if code, out := httpDo(t, "POST", s.url+"/api/v1/workflows/default", "", wf); code != 200 {
		t.Fatalf("create: %d %v", code, out)
	}
	awaitFile(t, mark, 10*time.Second)
	ended := make(chan string, 3)
	for _, path := range []string{"/api/v1/workflow-events/default", "/api/v1/workflow-events/",
		"/api/v1/workflows/default/slow/log?logOptions.follow=true"} {
		req, err := http.NewRequest("GET", s.url+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(path, "/") {
			req.Header.Set("Accept", "text/event-stream")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = resp.Body.Close() })
		// Read past the first answer: the stream is being served.
		buf := make([]byte, 1)
		if _, err := resp.Body.Read(buf); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		go func() {
			_, _ = io.Copy(io.Discard, resp.Body)
			ended <- path
		}()
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	took, code := waitExit(t, s.done, grace+graceSlack)
	t.Logf("server exited %d, %s after SIGTERM", code, took.Round(time.Millisecond))
	if code != 0 || took > grace/2 {
		t.Errorf("server exited %d after %s with streams open; want 0, well within its grace period %s", code, took, grace)
	}
	for range 3 {
		select {
		case <-ended:
		case <-time.After(time.Second):
			t.Fatal("a stream is still open after the server exited")
		}
	}
}
