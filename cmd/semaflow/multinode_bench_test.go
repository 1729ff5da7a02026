package main

import (
	"bufio"
	"context"
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
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/store/postgres"
	"github.com/semaflow/semaflow/internal/store/sqlite"
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

// stepSpan is one step's run as it logged it, with what the store
// recorded of it: when the engine began persisting its launch and its
// exit (events StepLaunched and StepExited, the engine's clock) and
// when its process ran (the node's startedAt and finishedAt, the
// supervisor's clock).
type stepSpan struct {
	wf                 string
	node               string
	start, end         time.Time
	launched, exited   time.Time
	procStart, procEnd time.Time
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

// readRecords fills in what the store recorded of each span's step.
func readRecords(b *testing.B, db store.Store, spans []stepSpan) {
	ctx := context.Background()
	err := db.View(ctx, func(tx store.Tx) error {
		for i := range spans {
			sp := &spans[i]
			wf, err := tx.GetWorkflow(ctx, "default", sp.wf)
			if err != nil {
				return err
			}
			for _, n := range wf.Status.Nodes {
				if n.Type == "Pod" && n.StartedAt != nil && n.FinishedAt != nil {
					sp.procStart, sp.procEnd = *n.StartedAt, *n.FinishedAt
				}
			}
			evs, err := tx.Events(ctx, wf.Metadata.UID)
			if err != nil {
				return err
			}
			for _, ev := range evs {
				switch ev.Type {
				case "StepLaunched":
					sp.launched = ev.At
				case "StepExited":
					sp.exited = ev.At
				}
			}
			if sp.launched.IsZero() || sp.exited.IsZero() || sp.procStart.IsZero() {
				return fmt.Errorf("workflow %s: its launch, exit or process times are not recorded", sp.wf)
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// handoffPhases splits each handoff (spans sorted, one after another)
// into what happened in turn, and reports each part's median: the
// holder's process ending after its last line (exit), the supervisor's
// report reaching the engine, which begins persisting the exit with the
// release and the grant (release), that commit, the notice, the next
// holder's node reading the hold and beginning to persist its step's
// launch (grant), that commit and the supervisor starting the process
// (launch), and the process running its first line (start).
func handoffPhases(b *testing.B, spans []stepSpan) {
	names := []string{"exit", "release", "grant", "launch", "start"}
	parts := make([][]time.Duration, len(names))
	for i := 1; i < len(spans); i++ {
		p, n := spans[i-1], spans[i]
		for j, d := range []time.Duration{p.procEnd.Sub(p.end), p.exited.Sub(p.procEnd), n.launched.Sub(p.exited),
			n.procStart.Sub(n.launched), n.start.Sub(n.procStart)} {
			parts[j] = append(parts[j], d)
		}
	}
	for j, name := range names {
		slices.Sort(parts[j])
		b.ReportMetric(float64(parts[j][len(parts[j])/2].Microseconds())/1000, "ms-p50-"+name)
	}
}

// handoffRun queues n workflows on a semaphore of limit 0, the i-th
// submitted to servers[i % len(servers)] (each waits in the queue before
// the next is submitted, so the queue alternates between the servers),
// raises the limit to 1 and waits for all. It returns the gaps between
// one step's logged end and the next one's logged start, sorted, and how
// many of them crossed from one server to another.
func handoffRun(b *testing.B, servers []*benchServer, db store.Store, n int) ([]time.Duration, int) {
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
	readRecords(b, db, spans)
	handoffPhases(b, spans)
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
	pgServers := func(b *testing.B, n int) ([]*benchServer, store.Store) {
		dsn := testkit.NewDatabase(b)
		var out []*benchServer
		for i := range n {
			name := fmt.Sprintf("node-%d", i+1)
			out = append(out, startBenchServer(b, name, append([]string{"--db", dsn, "--node-name", name, "--data", b.TempDir()}, common...)...))
		}
		db, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = db.Close() })
		return out, db
	}
	cases := []struct {
		name  string
		start func(b *testing.B) ([]*benchServer, store.Store)
	}{
		{"postgres-2nodes", func(b *testing.B) ([]*benchServer, store.Store) { return pgServers(b, 2) }},
		{"postgres-1node", func(b *testing.B) ([]*benchServer, store.Store) { return pgServers(b, 1) }},
		{"sqlite", func(b *testing.B) ([]*benchServer, store.Store) {
			dir := b.TempDir()
			path := filepath.Join(dir, "db")
			s := startBenchServer(b, "sqlite", append([]string{"--db", path, "--data", filepath.Join(dir, "data")}, common...)...)
			// Read beside the server, as semaflow nodes --db does.
			db, err := sqlite.Open(context.Background(), path)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = db.Close() })
			return []*benchServer{s}, db
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				servers, db := c.start(b)
				b.StartTimer()
				gaps, cross := handoffRun(b, servers, db, handoffWorkflows)
				reportHandoffs(b, gaps, cross)
			}
		})
	}
}

// submitBody is a workflow queued on the semaphore limits/sem.
func submitBody(name string) string {
	return fmt.Sprintf(`{"workflow": {"metadata": {"name": %q}, "spec": {"entrypoint": "main",
	  "synchronization": {"semaphores": [{"configMapKeyRef": {"name": "limits", "key": "sem"}}]},
	  "templates": [{"name": "main", "container": {"image": "x", "command": ["true"]}}]}}}`, name)
}

// BenchmarkSubmitThroughput submits b.N workflows over HTTP to real
// servers, each workflow queuing on a semaphore of limit 0 (so no step
// runs: the figure is the API, the checks, the store and the lock queue),
// from one client and from 8 at once, on one SQLite server, one server on
// PostgreSQL, and two servers on one PostgreSQL database (the clients
// alternate between them), in the same run.
func BenchmarkSubmitThroughput(b *testing.B) {
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
	stores := []struct {
		name  string
		start func(b *testing.B) []*benchServer
	}{
		{"sqlite", func(b *testing.B) []*benchServer {
			dir := b.TempDir()
			return []*benchServer{startBenchServer(b, "sqlite", append([]string{"--db", filepath.Join(dir, "db"), "--data", filepath.Join(dir, "data")}, common...)...)}
		}},
		{"postgres-1node", func(b *testing.B) []*benchServer { return pgServers(b, 1) }},
		{"postgres-2nodes", func(b *testing.B) []*benchServer { return pgServers(b, 2) }},
	}
	for _, clients := range []int{1, 8} {
		for _, st := range stores {
			b.Run(fmt.Sprintf("%s/clients-%d", st.name, clients), func(b *testing.B) {
				servers := st.start(b)
				servers[0].do(b, "POST", "/api/v1/configmaps/default", limitsBody(0))
				// The other servers hear of the ConfigMap by a notice;
				// one submission each makes sure they have.
				for i, s := range servers {
					s.do(b, "POST", "/api/v1/workflows/default", submitBody(fmt.Sprintf("warm-%d", i)))
				}
				b.ResetTimer()
				start := time.Now()
				var wg sync.WaitGroup
				for c := range clients {
					wg.Add(1)
					go func() {
						defer wg.Done()
						s := servers[c%len(servers)]
						for i := c; i < b.N; i += clients {
							s.do(b, "POST", "/api/v1/workflows/default", submitBody(fmt.Sprintf("w-%06d", i)))
						}
					}()
				}
				wg.Wait()
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "workflows/s")
			})
		}
	}
}
