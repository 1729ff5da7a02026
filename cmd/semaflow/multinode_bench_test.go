package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/testkit"
)

// benchServer is one `semaflow server` process started for a benchmark.
type benchServer struct {
	name string
	url  string
	cmd  *exec.Cmd
	done chan struct{}
}

// startBenchServer starts `semaflow server` with args on a free loopback
// port; it is stopped (SIGTERM, then SIGKILL) when the benchmark ends.
func startBenchServer(tb testing.TB, name string, args ...string) *benchServer {
	tb.Helper()
	cmd := exec.Command(binary, append([]string{"server", "--addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(tb.TempDir(), name+".log"))
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	s := &benchServer{name: name, cmd: cmd, done: make(chan struct{})}
	out := bufio.NewScanner(stdout)
	if !out.Scan() {
		_ = cmd.Process.Kill()
		tb.Fatalf("server %s printed nothing (log %s)", name, logf.Name())
	}
	m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(out.Text())
	if m == nil {
		_ = cmd.Process.Kill()
		tb.Fatalf("server %s: no address in %q", name, out.Text())
	}
	s.url = m[1]
	go func() {
		for out.Scan() {
		}
		_ = cmd.Wait()
		_ = logf.Close()
		close(s.done)
	}()
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

func (s *benchServer) do(tb testing.TB, method, path, body string) []byte {
	tb.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != 200 {
		tb.Fatalf("%s %s%s: %d %s", method, s.url, path, resp.StatusCode, out)
	}
	return out
}

// stampedStep is a workflow queued on the semaphore limits/sem whose one
// step prints its own start and end times (bash's EPOCHREALTIME, no
// process spawned for them), in microseconds.
func stampedStep(name string) string {
	return fmt.Sprintf(`{"workflow": {"metadata": {"name": %q}, "spec": {"entrypoint": "main",
	  "synchronization": {"semaphores": [{"configMapKeyRef": {"name": "limits", "key": "sem"}}]},
	  "templates": [{"name": "main", "container": {"image": "x",
	    "command": ["bash", "-c", "echo semaflow-start $EPOCHREALTIME; echo semaflow-end $EPOCHREALTIME"]}}]}}}`, name)
}

func limitsBody(n int) string {
	return fmt.Sprintf(`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "limits"}, "data": {"sem": "%d"}}`, n)
}

// stepSpan is one step's run as it logged it.
type stepSpan struct {
	wf         string
	node       string
	start, end time.Time
}

var stampRE = regexp.MustCompile(`semaflow-(start|end) (\d+)[.,](\d{6})`)

// readSpan reads a finished workflow's stamps from its log, on the node
// that ran it (logs stay on that node).
func readSpan(tb testing.TB, s *benchServer, name string) stepSpan {
	tb.Helper()
	sp := stepSpan{wf: name, node: s.name}
	for _, m := range stampRE.FindAllStringSubmatch(string(s.do(tb, "GET", "/api/v1/workflows/default/"+name+"/log", "")), -1) {
		sec, _ := strconv.ParseInt(m[2], 10, 64)
		usec, _ := strconv.ParseInt(m[3], 10, 64)
		at := time.Unix(sec, usec*1000)
		if m[1] == "start" {
			sp.start = at
		} else {
			sp.end = at
		}
	}
	if sp.start.IsZero() || sp.end.IsZero() {
		tb.Fatalf("workflow %s on %s: no start and end stamps in its log", name, s.name)
	}
	return sp
}

// queued says whether workflow name waits for the semaphore.
func queued(tb testing.TB, s *benchServer, name string) bool {
	var wf struct {
		Status struct {
			Phase   string `json:"phase"`
			Message string `json:"message"`
		} `json:"status"`
	}
	if err := json.Unmarshal(s.do(tb, "GET", "/api/v1/workflows/default/"+name, ""), &wf); err != nil {
		tb.Fatal(err)
	}
	return strings.Contains(wf.Status.Message, "Waiting for")
}

// handoffRun queues n workflows on a semaphore of limit 0, the i-th
// submitted to servers[i % len(servers)] (each waits in the queue before
// the next is submitted, so the queue alternates between the servers),
// raises the limit to 1 and waits for all. It returns the gaps between
// one step's logged end and the next one's logged start, sorted, and how
// many of them crossed from one server to another.
func handoffRun(b *testing.B, servers []*benchServer, n int) ([]time.Duration, int) {
	servers[0].do(b, "POST", "/api/v1/configmaps/default", limitsBody(0))
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("h-%04d", i)
		s := servers[i%len(servers)]
		s.do(b, "POST", "/api/v1/workflows/default", stampedStep(names[i]))
		for deadline := time.Now().Add(30 * time.Second); !queued(b, s, names[i]); {
			if time.Now().After(deadline) {
				b.Fatalf("workflow %s on %s did not queue within 30 s", names[i], s.name)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	servers[0].do(b, "PUT", "/api/v1/configmaps/default/limits", limitsBody(1))
	spans := make([]stepSpan, 0, n)
	for i, name := range names {
		s := servers[i%len(servers)]
		for deadline := time.Now().Add(5 * time.Minute); ; {
			var wf struct {
				Status struct {
					Phase   string `json:"phase"`
					Message string `json:"message"`
				} `json:"status"`
			}
			if err := json.Unmarshal(s.do(b, "GET", "/api/v1/workflows/default/"+name, ""), &wf); err != nil {
				b.Fatal(err)
			}
			if wf.Status.Phase == "Succeeded" {
				break
			}
			if wf.Status.Phase == "Failed" || wf.Status.Phase == "Error" || time.Now().After(deadline) {
				b.Fatalf("workflow %s on %s: %s %s", name, s.name, wf.Status.Phase, wf.Status.Message)
			}
			time.Sleep(20 * time.Millisecond)
		}
		spans = append(spans, readSpan(b, s, name))
	}
	slices.SortFunc(spans, func(x, y stepSpan) int { return x.start.Compare(y.start) })
	gaps := make([]time.Duration, 0, n-1)
	cross := 0
	for i := 1; i < len(spans); i++ {
		if spans[i].start.Before(spans[i-1].end) {
			b.Fatalf("%s started before %s ended: the semaphore of limit 1 was held twice", spans[i].wf, spans[i-1].wf)
		}
		if spans[i].node != spans[i-1].node {
			cross++
		}
		gaps = append(gaps, spans[i].start.Sub(spans[i-1].end))
	}
	slices.Sort(gaps)
	return gaps, cross
}

func reportHandoffs(b *testing.B, gaps []time.Duration, cross int) {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(gaps[len(gaps)/2]), "ms-p50-handoff")
	b.ReportMetric(ms(gaps[len(gaps)*99/100]), "ms-p99-handoff")
	b.ReportMetric(ms(gaps[len(gaps)-1]), "ms-max-handoff")
	b.ReportMetric(float64(cross)/float64(len(gaps)), "cross-node-share")
}

// handoffWorkflows is how many workflows each run queues.
const handoffWorkflows = 200

// BenchmarkMultiNodeHandoff measures lock handoffs through real servers:
// from one step's own logged end to the next holder's step's logged
// start, 200 workflows on a semaphore of limit 1. On "postgres-2nodes"
// two `semaflow server` processes share one PostgreSQL database and the
// queue alternates between them, so every handoff crosses nodes: the
// releasing node's transaction grants the other node's waiter, whose
// node hears of it by a notice and starts its step. "postgres-1node" and
// "sqlite" run the same on one server, in the same run. Steps run
// without a step user (--step-user ""), as `semaflow run` does, so the
// figure is the engine's and the store's, not the isolation's.
func BenchmarkMultiNodeHandoff(b *testing.B) {
	common := []string{"--step-user", ""}
	pgServers := func(b *testing.B, n int) []*benchServer {
		dsn := testkit.NewDatabase(b)
		var out []*benchServer
		for i := range n {
			name := fmt.Sprintf("node-%d", i+1)
			out = append(out, startBenchServer(b, name, append([]string{"--db", dsn, "--node-name", name, "--data", b.TempDir()}, common...)...))
		}
		return out
	}
	cases := []struct {
		name  string
		start func(b *testing.B) []*benchServer
	}{
		{"postgres-2nodes", func(b *testing.B) []*benchServer { return pgServers(b, 2) }},
		{"postgres-1node", func(b *testing.B) []*benchServer { return pgServers(b, 1) }},
		{"sqlite", func(b *testing.B) []*benchServer {
			dir := b.TempDir()
			return []*benchServer{startBenchServer(b, "sqlite", append([]string{"--db", filepath.Join(dir, "db"), "--data", filepath.Join(dir, "data")}, common...)...)}
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				servers := c.start(b)
				b.StartTimer()
				gaps, cross := handoffRun(b, servers, handoffWorkflows)
				reportHandoffs(b, gaps, cross)
			}
		})
	}
}
