package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The step supervisor (`semaflow exec --serve`) is killed with SIGKILL
// while a step holds a mutex that four more workflows wait for. The step
// must die with it, its process group included (a background subshell
// that would go on writing to the log), before its permit goes to the
// next waiter; the engine reports it failed, its retryStrategy runs it
// again, and every workflow succeeds. Checked from the steps' own log
// lines: no two holders ever overlap, and tokens rise with each grant.
func TestSupervisorKill9KillsItsStepsBeforeRelease(t *testing.T) {
	t.Run("run", func(t *testing.T) { supervisorKillScenario(t, false) })
	t.Run("server", func(t *testing.T) { supervisorKillScenario(t, true) })
}

const supervisorDiedMessage = "the step supervisor died; the step was killed"

func supervisorKillScenario(t *testing.T, server bool) {
	log := syncLog(t)
	wf := mutexCrashWorkflow(log)
	const n = 5
	var engine int
	var s *serverProc
	var runOut bytes.Buffer
	runDone := make(chan error, 1)
	if server {
		s = startServer(t, "--db", filepath.Join(t.TempDir(), "server.db"))
		engine = s.cmd.Process.Pid
		for i := range n {
			wf["metadata"] = map[string]any{"name": fmt.Sprintf("sup%d", i)}
			body, _ := json.Marshal(map[string]any{"workflow": wf})
			if code, out := httpDo(t, "POST", s.url+"/api/v1/workflows/default", "", string(body)); code != 200 {
				t.Fatalf("submit sup%d: %d %v", i, code, out)
			}
		}
	} else {
		wf["metadata"] = map[string]any{"generateName": "sup-"}
		b, _ := json.Marshal(wf)
		cmd := exec.Command(binary, "run", "-o", "json", "--count", strconv.Itoa(n), writeFile(t, "sup.json", string(b)))
		cmd.Stdout, cmd.Stderr = &runOut, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		engine = cmd.Process.Pid
		go func() { runDone <- cmd.Wait() }()
	}

	// Kill the supervisor once the first step is well under way.
	victim := awaitFirstStart(t, log)
	time.Sleep(300 * time.Millisecond)
	sup := supervisorOf(t, engine)
	if err := syscall.Kill(sup, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 of the supervisor %d: %v", sup, err)
	}
	t.Logf("killed supervisor %d while %s ran", sup, victim)

	var messages []string
	if server {
		for i := range n {
			name := fmt.Sprintf("sup%d", i)
			if p := awaitPhase(t, s.url, "", "default", name); p != "Succeeded" {
				_, out := httpDo(t, "GET", s.url+"/api/v1/workflows/default/"+name, "", "")
				t.Fatalf("%s ended %s: %v", name, p, out["status"])
			}
			messages = append(messages, nodeMessages(t, s.url, name)...)
		}
	} else {
		select {
		case err := <-runDone:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("run did not end within 60 s")
		}
		dec := json.NewDecoder(&runOut)
		for {
			var w finalWF
			if err := dec.Decode(&w); err != nil {
				break
			}
			if w.Status.Phase != "Succeeded" {
				t.Errorf("%s ended %s: %s", w.Metadata.Name, w.Status.Phase, w.Status.Message)
			}
			for _, node := range w.Status.Nodes {
				messages = append(messages, node.Message)
			}
		}
	}
	if !containsString(messages, supervisorDiedMessage) {
		t.Errorf("no node says %q; node messages: %q", supervisorDiedMessage, messages)
	}
	if left := processesMentioning(log); len(left) > 0 {
		t.Errorf("processes of the steps still run after the workflows ended: %v", left)
	}

	spans := readSpans(t, log)
	if len(spans) != n+1 {
		t.Errorf("%d step attempts ran, want %d (five, and the killed one again)", len(spans), n+1)
	}
	for i := 1; i < len(spans); i++ {
		prev, cur := spans[i-1], spans[i]
		if cur.start <= prev.last {
			t.Fatalf("two holders of one mutex: %s ran until %d, %s started at %d (%.0f ms before)",
				prev.who, prev.last, cur.who, cur.start, float64(prev.last-cur.start)/1e6)
		}
		// A retry's attempts share their retry node's hold, and its token.
		sameHolder := strings.SplitN(cur.who, "/", 2)[0] == strings.SplitN(prev.who, "/", 2)[0]
		if cur.token < prev.token || cur.token == prev.token && !sameHolder {
			t.Errorf("%s started after %s with token %d, not above %d", cur.who, prev.who, cur.token, prev.token)
		}
	}
	killed := 0
	for _, sp := range spans {
		if !sp.ended {
			killed++
			if sp.who != victim {
				t.Errorf("%s never ended, but the supervisor was killed during %s", sp.who, victim)
			}
		}
	}
	if killed != 1 {
		t.Errorf("%d attempts did not end, want 1 (the one whose supervisor was killed)", killed)
	}
	if server {
		s.stop(t)
	}
}

// mutexCrashWorkflow is a workflow whose step takes a mutex and keeps a
// background subshell writing "beat" lines for about a second: a step
// process left alive after its supervisor died shows in the log.
func mutexCrashWorkflow(log string) map[string]any {
	script := fmt.Sprintf(`W="$SEMAFLOW_WORKFLOW/$SEMAFLOW_NODE_ID"
echo "start $(date +%%s%%N) $W $SEMAFLOW_LOCK_TOKENS" >> %[1]s
( i=0; while [ $i -lt 16 ]; do echo "beat $(date +%%s%%N) $W" >> %[1]s; sleep 0.05; i=$((i+1)); done ) &
wait
echo "end $(date +%%s%%N) $W" >> %[1]s`, log)
	return map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
		"spec": map[string]any{
			"entrypoint": "main",
			"templates": []any{
				map[string]any{"name": "main", "steps": []any{[]any{map[string]any{"name": "work", "template": "work"}}}},
				map[string]any{"name": "work",
					"retryStrategy":   map[string]any{"limit": 2},
					"synchronization": map[string]any{"mutexes": []any{map[string]any{"name": "crash-m"}}},
					"container":       map[string]any{"image": "x", "command": []string{"sh", "-c", script}}},
			},
		},
	}
}

type span struct {
	who         string
	start, last int64
	token       uint64
	ended       bool
}

// readSpans reads the log into one span per attempt, from its start to
// its last line, ordered by start.
func readSpans(t *testing.T, log string) []*span {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	byWho := map[string]*span{}
	var out []*span
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 {
			t.Fatalf("bad log line %q", sc.Text())
		}
		at, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			t.Fatalf("bad log line %q", sc.Text())
		}
		sp := byWho[f[2]]
		if sp == nil {
			sp = &span{who: f[2], start: at, last: at}
			byWho[f[2]] = sp
			out = append(out, sp)
		}
		switch f[0] {
		case "start":
			sp.start = at
			if len(f) > 3 {
				_, v, _ := strings.Cut(f[3], "=")
				sp.token, _ = strconv.ParseUint(v, 10, 64)
			}
		case "end":
			sp.ended = true
		}
		sp.last = max(sp.last, at)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].start < out[j].start })
	return out
}

// awaitFirstStart waits for the first step's start line and names it.
func awaitFirstStart(t *testing.T, log string) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(log)
		for line := range strings.SplitSeq(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 3 && f[0] == "start" {
				return f[2]
			}
		}
	}
	t.Fatal("no step started within 30 s")
	return ""
}

// supervisorOf finds the `exec --serve` child of the engine process.
func supervisorOf(t *testing.T, engine int) int {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(stat)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 2 || f[1] != strconv.Itoa(engine) {
			continue
		}
		if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); bytes.Contains(cmdline, []byte("exec\x00--serve")) {
			return pid
		}
	}
	t.Fatalf("no step supervisor under engine %d", engine)
	return 0
}

// processesMentioning lists the processes whose command line holds s.
func processesMentioning(s string) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(s)) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	return out
}

func nodeMessages(t *testing.T, url, name string) []string {
	t.Helper()
	_, out := httpDo(t, "GET", url+"/api/v1/workflows/default/"+name, "", "")
	st, _ := out["status"].(map[string]any)
	nodes, _ := st["nodes"].(map[string]any)
	var msgs []string
	for _, n := range nodes {
		if m, ok := n.(map[string]any)["message"].(string); ok {
			msgs = append(msgs, m)
		}
	}
	return msgs
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}
