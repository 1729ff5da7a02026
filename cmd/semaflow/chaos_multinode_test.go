package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/semaflow/semaflow/internal/testkit"
)

// The acceptance test of several nodes on one PostgreSQL database: three
// servers run 300 workflows, each a semaphore step (limit 3) then a mutex
// step, both retried, while one node is killed with SIGKILL, another is
// stopped past its lease and continued (it must fence itself), and
// PostgreSQL restarts under them all. The checks read only the steps' own
// log (and the API for phases): every workflow succeeds, no attempt runs
// twice, never more holders than the limits, tokens rise, nothing leaks.

const (
	chaosWorkflows = 300
	chaosSemLimit  = 3
	chaosSemLock   = "default/ConfigMap/chaos/sem"
	chaosMutexLock = "default/Mutex/chaos"
	chaosTTL       = 3 * time.Second
	chaosMargin    = time.Second
	// chaosDeadline bounds the whole run of the 300 workflows, chaos
	// included, on a loaded machine with a race-built binary.
	chaosDeadline = 9 * time.Minute
)

// chaosLine is one line a step wrote: event, time, workflow, step,
// attempt, node and the lock tokens it was given.
type chaosLine struct {
	ev       string // start, beat or end
	at       int64  // unix ns
	wf, step string
	attempt  int
	node     string
	tokens   map[string]uint64
}

// key names the attempt a line belongs to.
func (l chaosLine) key() chaosKey { return chaosKey{l.wf, l.step, l.attempt} }

type chaosKey struct {
	wf, step string
	attempt  int
}

func (k chaosKey) String() string { return fmt.Sprintf("%s/%s#%d", k.wf, k.step, k.attempt) }

// chaosSpan is one attempt as its lines show it: from its start to its
// last line (a step killed with SIGKILL writes no end; its beats, every
// 10 ms, show until when it ran).
type chaosSpan struct {
	key         chaosKey
	node        string
	start, last int64
	ended       bool
	starts      int
	tokens      map[string]uint64
}

// chaosStep is the shell of a step: a start line, beats every ~10 ms while
// it works (~50 ms), an end line.
func chaosStep(log, step string) string {
	id := fmt.Sprintf(`$SEMAFLOW_WORKFLOW %s {{retries}} $SEMAFLOW_NODE $SEMAFLOW_LOCK_TOKENS`, step)
	return fmt.Sprintf(`id="%s"; echo "start $(date +%%s%%N) $id" >> %s; `+
		`for i in 1 2 3 4 5; do sleep 0.01; echo "beat $(date +%%s%%N) $id" >> %s; done; `+
		`echo "end $(date +%%s%%N) $id" >> %s`, id, log, log, log)
}

// chaosHold holds the semaphore for about two seconds.
func chaosHold(log string) string {
	id := `$SEMAFLOW_WORKFLOW hold {{retries}} $SEMAFLOW_NODE $SEMAFLOW_LOCK_TOKENS`
	return fmt.Sprintf(`id="%s"; echo "start $(date +%%s%%N) $id" >> %s; sleep 2; echo "end $(date +%%s%%N) $id" >> %s`, id, log, log)
}

func chaosSemTemplate(name, script string) map[string]any {
	return map[string]any{"name": name, "retryStrategy": map[string]any{"limit": 10},
		"synchronization": map[string]any{"semaphores": []any{map[string]any{"configMapKeyRef": map[string]any{"name": "chaos", "key": "sem"}}}},
		"container":       map[string]any{"image": "x", "command": []string{"sh", "-c", script}}}
}

// chaosWorkflow is the body of a submission: a semaphore step, then a
// mutex step, each lock on a retried template (the retry parent holds it).
func chaosWorkflow(name, log string) string {
	wf := map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
		"metadata": map[string]any{"name": name},
		"spec": map[string]any{"entrypoint": "main", "templates": []any{
			map[string]any{"name": "main", "steps": []any{
				[]any{map[string]any{"name": "sem", "template": "sem"}},
				[]any{map[string]any{"name": "mtx", "template": "mtx"}},
			}},
			chaosSemTemplate("sem", chaosStep(log, "sem")),
			map[string]any{"name": "mtx", "retryStrategy": map[string]any{"limit": 10},
				"synchronization": map[string]any{"mutexes": []any{map[string]any{"name": "chaos"}}},
				"container":       map[string]any{"image": "x", "command": []string{"sh", "-c", chaosStep(log, "mtx")}}},
		}}}
	b, _ := json.Marshal(map[string]any{"workflow": wf})
	return string(b)
}

// chaosHoldWorkflow holds the semaphore ~2 s: three at once show that
// every permit came back.
func chaosHoldWorkflow(name, log string) string {
	wf := map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
		"metadata": map[string]any{"name": name},
		"spec":     map[string]any{"entrypoint": "hold", "templates": []any{chaosSemTemplate("hold", chaosHold(log))}}}
	b, _ := json.Marshal(map[string]any{"workflow": wf})
	return string(b)
}

func parseChaosLine(s string) (chaosLine, error) {
	f := strings.Fields(s)
	if len(f) < 6 || len(f) > 7 {
		return chaosLine{}, fmt.Errorf("bad log line %q", s)
	}
	at, err1 := strconv.ParseInt(f[1], 10, 64)
	attempt, err2 := strconv.Atoi(f[4])
	if err := errors.Join(err1, err2); err != nil {
		return chaosLine{}, fmt.Errorf("bad log line %q: %w", s, err)
	}
	if f[0] != "start" && f[0] != "beat" && f[0] != "end" {
		return chaosLine{}, fmt.Errorf("bad log line %q: no event start, beat or end", s)
	}
	l := chaosLine{ev: f[0], at: at, wf: f[2], step: f[3], attempt: attempt, node: f[5], tokens: map[string]uint64{}}
	if len(f) == 7 {
		for _, kv := range strings.Split(f[6], ";") {
			k, v, ok := strings.Cut(kv, "=")
			n, err := strconv.ParseUint(v, 10, 64)
			if !ok || err != nil {
				return chaosLine{}, fmt.Errorf("bad tokens in log line %q", s)
			}
			l.tokens[k] = n
		}
	}
	return l, nil
}

// chaosTail reads the steps' log as it grows.
type chaosTail struct {
	path  string
	off   int64
	rest  []byte
	lines []chaosLine
}

func (ct *chaosTail) poll(t *recT) {
	t.Helper()
	f, err := os.Open(ct.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.NewSectionReader(f, ct.off, 1<<40))
	if err != nil {
		t.Fatal(err)
	}
	ct.off += int64(len(b))
	b = append(ct.rest, b...)
	i := bytes.LastIndexByte(b, '\n')
	if i < 0 {
		ct.rest = b
		return
	}
	ct.rest = append([]byte(nil), b[i+1:]...)
	for _, s := range strings.Split(string(b[:i]), "\n") {
		l, err := parseChaosLine(s)
		if err != nil {
			t.Fatal(err)
		}
		ct.lines = append(ct.lines, l)
	}
}

// spans gathers the lines by attempt.
func chaosSpans(t *recT, lines []chaosLine) map[chaosKey]*chaosSpan {
	t.Helper()
	spans := map[chaosKey]*chaosSpan{}
	for _, l := range lines {
		sp := spans[l.key()]
		if sp == nil {
			sp = &chaosSpan{key: l.key(), node: l.node, start: l.at, last: l.at, tokens: l.tokens}
			spans[l.key()] = sp
		}
		if l.node != sp.node {
			t.Fatalf("attempt %s ran on nodes %s and %s", l.key(), sp.node, l.node)
		}
		switch l.ev {
		case "start":
			sp.starts++
			sp.start = min(sp.start, l.at)
		case "end":
			sp.ended = true
		}
		sp.last = max(sp.last, l.at)
	}
	return spans
}

// chaosNode is one server of the cluster.
type chaosNode struct {
	name    string
	app     string // its connections' application_name
	proc    *serverProc
	stderr  *lockedWriter
	down    bool  // killed, fenced or gone
	exitErr error // set once it exited
	exited  bool
}

// poll notes whether the server exited.
func (n *chaosNode) poll() bool {
	if n.exited {
		return true
	}
	select {
	case err := <-n.proc.done:
		n.exited, n.exitErr = true, err
	default:
	}
	return n.exited
}

type chaosCluster struct {
	t     *recT
	dsn   string
	root  string
	nodes []*chaosNode
	http  *http.Client
	began time.Time
	lastP time.Time
}

func (c *chaosCluster) start(name string) *chaosNode {
	c.t.Helper()
	app := "semaflow-" + name
	sep := "?"
	if strings.Contains(c.dsn, "?") {
		sep = "&"
	}
	proc, stderr := startServerStderr(c.t.T, "--db", c.dsn+sep+"application_name="+app, "--data", filepath.Join(c.root, name),
		"--node-name", name, "--lease-ttl", chaosTTL.String(), "--lease-margin", chaosMargin.String())
	n := &chaosNode{name: name, app: app, proc: proc, stderr: stderr}
	c.nodes = append(c.nodes, n)
	// A failure shows what each node said last.
	c.t.Cleanup(func() {
		if c.t.Failed() {
			c.t.Logf("node %s's stderr ends:\n%s", name, chaosTailOf(stderr.String()))
		}
	})
	c.t.Logf("%s: node %s started (pid %d, %s)", c.since(), name, proc.cmd.Process.Pid, proc.url)
	return n
}

func (c *chaosCluster) since() string {
	return time.Since(c.began).Round(10 * time.Millisecond).String()
}

// live are the nodes that serve, noting any that exited unasked.
func (c *chaosCluster) live() []*chaosNode {
	var out []*chaosNode
	for _, n := range c.nodes {
		if n.down {
			continue
		}
		if n.poll() {
			n.down = true
			c.t.Logf("%s: node %s exited unasked (%v); its stderr ends:\n%s", c.since(), n.name, n.exitErr, chaosTailOf(n.stderr.String()))
			continue
		}
		out = append(out, n)
	}
	return out
}

func chaosTailOf(s string) string {
	const n = 4000
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

func (c *chaosCluster) do(n *chaosNode, method, path, body string) (int, []byte, error) {
	req, err := http.NewRequest(method, n.proc.url+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// get reads path through the first live node that answers 200.
func (c *chaosCluster) get(path string, out any) (string, error) {
	var errs []error
	for _, n := range c.live() {
		code, b, err := c.do(n, "GET", path, "")
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("%d %s", code, b)
		}
		if err == nil {
			err = json.Unmarshal(b, out)
		}
		if err == nil {
			return n.name, nil
		}
		errs = append(errs, fmt.Errorf("node %s: GET %s: %w", n.name, path, err))
	}
	return "", errors.Join(append(errs, errors.New("no node answered"))...)
}

type chaosWf struct {
	Metadata struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
	Status struct {
		Phase   string `json:"phase"`
		Message string `json:"message"`
	} `json:"status"`
}

// phases lists the workflows through node n (any live one when nil).
func (c *chaosCluster) phases(n *chaosNode) ([]chaosWf, error) {
	var list struct {
		Items []chaosWf `json:"items"`
	}
	if n == nil {
		_, err := c.get("/api/v1/workflows/default", &list)
		return list.Items, err
	}
	code, b, err := c.do(n, "GET", "/api/v1/workflows/default", "")
	if err == nil && code != http.StatusOK {
		err = fmt.Errorf("%d %s", code, b)
	}
	if err == nil {
		err = json.Unmarshal(b, &list)
	}
	return list.Items, err
}

// progress logs, at most every 5 s, where the run stands.
func (c *chaosCluster) progress(ct *chaosTail, force bool) {
	if !force && time.Since(c.lastP) < 5*time.Second {
		return
	}
	c.lastP = time.Now()
	wfs, err := c.phases(nil)
	if err != nil {
		c.t.Logf("%s: progress: %v", c.since(), err)
		return
	}
	phase, owner := map[string]int{}, map[string]int{}
	for _, w := range wfs {
		phase[w.Status.Phase]++
		if w.Status.Phase != "Succeeded" && w.Status.Phase != "Failed" && w.Status.Phase != "Error" {
			owner[w.Metadata.Labels["semaflow.dev/node"]]++
		}
	}
	var live []string
	for _, n := range c.live() {
		live = append(live, n.name)
	}
	c.t.Logf("%s: %d workflows %v; unfinished by node %v; %d log lines; live nodes %v", c.since(), len(wfs), phase, owner, len(ct.lines), live)
}

// mtxEnds counts the finished mutex steps in the log: the run's progress.
func mtxEnds(lines []chaosLine) int {
	n := 0
	for _, l := range lines {
		if l.ev == "end" && l.step == "mtx" {
			n++
		}
	}
	return n
}

// running says whether node runs a step of step (any when "") now: an
// attempt of it started, did not end, and wrote within the last 50 ms.
func running(lines []chaosLine, node, step string) bool {
	now := time.Now().UnixNano()
	open := map[chaosKey]int64{}
	for _, l := range lines {
		if l.node != node || (step != "" && l.step != step) {
			continue
		}
		if l.ev == "end" {
			delete(open, l.key())
		} else {
			open[l.key()] = l.at
		}
	}
	for _, at := range open {
		if now-at < int64(50*time.Millisecond) {
			return true
		}
	}
	return false
}

// waitFor polls cond every 5 ms until it holds, logging progress; it fails
// the test after d.
func (c *chaosCluster) waitFor(ct *chaosTail, d time.Duration, what string, cond func() bool, detail ...func() string) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		ct.poll(c.t)
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			c.progress(ct, true)
			more := ""
			for _, f := range detail {
				more += "\n" + f()
			}
			c.t.Fatalf("%s: still waiting after %v for %s%s", c.since(), d, what, more)
		}
		c.progress(ct, false)
		time.Sleep(5 * time.Millisecond)
	}
}

// waitEnded waits until the API shows every workflow ended, and names
// those that did not when it gives up.
func (c *chaosCluster) waitEnded(ct *chaosTail, d time.Duration) {
	c.t.Helper()
	unfinished := []string{"not listed yet"}
	var listed time.Time
	c.waitFor(ct, d, "every workflow to end", func() bool {
		// The log says when it is worth asking often; the API says for sure.
		every := 5 * time.Second
		if mtxEnds(ct.lines) >= chaosWorkflows {
			every = 500 * time.Millisecond
		}
		if time.Since(listed) < every {
			return false
		}
		listed = time.Now()
		wfs, err := c.phases(nil)
		if err != nil {
			unfinished = []string{err.Error()}
			return false
		}
		unfinished = unfinished[:0]
		for _, w := range wfs {
			if w.Status.Phase != "Succeeded" && w.Status.Phase != "Failed" && w.Status.Phase != "Error" {
				unfinished = append(unfinished, fmt.Sprintf("%s %s on node %q: %s", w.Metadata.Name, w.Status.Phase,
					w.Metadata.Labels["semaflow.dev/node"], w.Status.Message))
			}
		}
		if len(wfs) != chaosWorkflows {
			unfinished = append(unfinished, fmt.Sprintf("%d workflows listed, want %d", len(wfs), chaosWorkflows))
		}
		return len(unfinished) == 0
	}, func() string { return strings.Join(unfinished[:min(len(unfinished), 20)], "\n") })
}

// waitAdopted waits until a live node logs that it adopted node's workflows.
func (c *chaosCluster) waitAdopted(ct *chaosTail, node string, d time.Duration) (by string, at time.Time) {
	c.t.Helper()
	needle := "adopted the workflows of node " + node + ","
	c.waitFor(ct, d, "a node to adopt the workflows of "+node, func() bool {
		for _, n := range c.live() {
			if strings.Contains(n.stderr.String(), needle) {
				by = n.name
				return true
			}
		}
		return false
	})
	return by, time.Now()
}

// stopOutsideTx stops n (SIGSTOP) at a moment none of its connections is
// inside a transaction: a node stopped mid-transaction keeps its row locks
// (the generation row: every node's lock decisions) until PostgreSQL's
// idle-in-transaction timeout, and its session's row lock keeps the others
// from adopting it; that is not the case this test is about. So n is
// continued and stopped again until its connections are idle, checked
// twice, 100 ms apart, for a statement it sent just before it stopped.
func stopOutsideTx(t *recT, n *chaosNode, dsn string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	busy := func() int {
		var k int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state <> 'idle'`, n.app).Scan(&k); err != nil {
			t.Fatal(err)
		}
		return k
	}
	for range 200 {
		if err := n.proc.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		if busy() == 0 {
			time.Sleep(100 * time.Millisecond)
			if busy() == 0 {
				return
			}
		}
		_ = n.proc.cmd.Process.Signal(syscall.SIGCONT)
		time.Sleep(time.Duration(10+len(n.name)) * time.Millisecond)
	}
	t.Fatalf("node %s was inside a transaction at each of 200 stops", n.name)
}

func TestChaosMultiNode(tt *testing.T) {
	t := summarized(tt)
	pg := testkit.NewPostgres(tt)
	c := &chaosCluster{t: t, dsn: pg.NewDatabase(tt), root: t.TempDir(), http: &http.Client{Timeout: 30 * time.Second}, began: time.Now()}
	log := syncLog(tt)
	ct := &chaosTail{path: log}

	n1, n2, n3 := c.start("n1"), c.start("n2"), c.start("n3")
	cm := `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "chaos", "namespace": "default"}, "data": {"sem": "` + strconv.Itoa(chaosSemLimit) + `"}}`
	if code, b, err := c.do(n1, "POST", "/api/v1/configmaps/default", cm); err != nil || code != http.StatusOK {
		t.Fatalf("apply the ConfigMap: %d %s %v", code, b, err)
	}
	// Each node hears of the ConfigMap by a notice: wait for it, or a
	// workflow submitted there would name a ConfigMap it does not know.
	for _, n := range []*chaosNode{n1, n2, n3} {
		c.waitFor(ct, 30*time.Second, "node "+n.name+" to know the ConfigMap", func() bool {
			code, _, err := c.do(n, "GET", "/api/v1/configmaps/default/chaos", "")
			return err == nil && code == http.StatusOK
		})
	}

	// Submitted spread over the three nodes, while the first run.
	submitted := make(chan error, 3)
	var wg sync.WaitGroup
	for i, n := range []*chaosNode{n1, n2, n3} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := i; j < chaosWorkflows; j += 3 {
				name := fmt.Sprintf("chaos-%03d", j)
				code, b, err := c.do(n, "POST", "/api/v1/workflows/default", chaosWorkflow(name, log))
				if err == nil && code != http.StatusOK {
					err = fmt.Errorf("%d %s", code, b)
				}
				if err != nil {
					submitted <- fmt.Errorf("submit %s to node %s: %w", name, n.name, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(submitted)
	for err := range submitted {
		t.Fatal(err)
	}
	t.Logf("%s: %d workflows submitted", c.since(), chaosWorkflows)

	// 1. kill -9 n1 while one of its steps holds the mutex.
	c.waitFor(ct, 2*time.Minute, "20 workflows done and node n1 running a mutex step", func() bool {
		return mtxEnds(ct.lines) >= 20 && running(ct.lines, "n1", "mtx")
	})
	if err := n1.proc.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killedAt := time.Now()
	n1.exitErr = <-n1.proc.done
	n1.down, n1.exited = true, true
	t.Logf("%s: node n1 killed (SIGKILL) while running a mutex step, %d mutex steps done", c.since(), mtxEnds(ct.lines))
	n4 := c.start("n4")
	by, adopted1 := c.waitAdopted(ct, "n1", time.Minute)
	adoptKill := adopted1.Sub(killedAt)
	t.Logf("%s: node %s adopted n1's workflows %v after the kill (lease %v + margin %v)", c.since(), by, adoptKill.Round(time.Millisecond), chaosTTL, chaosMargin)

	// 2. PostgreSQL restarts while workflows run.
	mark := mtxEnds(ct.lines)
	c.waitFor(ct, 2*time.Minute, "20 more workflows done", func() bool { return mtxEnds(ct.lines) >= mark+20 })
	restartAt := time.Now()
	if err := pg.Restart(); err != nil {
		t.Fatal(err)
	}
	pgDown := time.Since(restartAt)
	t.Logf("%s: PostgreSQL restarted (%v without it), %d mutex steps done", c.since(), pgDown.Round(time.Millisecond), mtxEnds(ct.lines))

	// 3. SIGSTOP n2 while it runs a step, past its lease and margin, until
	// another node adopted it; then SIGCONT: it must fence itself.
	mark = mtxEnds(ct.lines)
	c.waitFor(ct, 2*time.Minute, "20 more workflows done and node n2 running a step", func() bool {
		return mtxEnds(ct.lines) >= mark+20 && running(ct.lines, "n2", "")
	})
	stopOutsideTx(t, n2, c.dsn)
	stoppedAt := time.Now()
	t.Cleanup(func() { _ = n2.proc.cmd.Process.Signal(syscall.SIGCONT) })
	n2.down = true
	t.Logf("%s: node n2 stopped (SIGSTOP), %d mutex steps done", c.since(), mtxEnds(ct.lines))
	by, adopted2 := c.waitAdopted(ct, "n2", time.Minute)
	t.Logf("%s: node %s adopted n2's workflows %v after the stop", c.since(), by, adopted2.Sub(stoppedAt).Round(time.Millisecond))
	c.waitFor(ct, time.Minute, "n2's stop to outlast its lease, margin and 2 s", func() bool {
		return time.Since(stoppedAt) > chaosTTL+chaosMargin+2*time.Second
	})
	if err := n2.proc.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	contAt := time.Now()
	t.Logf("%s: node n2 continued (SIGCONT) after %v stopped", c.since(), contAt.Sub(stoppedAt).Round(time.Millisecond))
	select {
	case n2.exitErr = <-n2.proc.done:
		n2.exited = true
	case <-time.After(30 * time.Second):
		t.Fatalf("node n2, continued after its session was adopted, still runs after 30 s:\n%s", chaosTailOf(n2.stderr.String()))
	}
	msg := n2.stderr.String()
	for _, want := range []string{"lost its session", "took over the store after that lease expired", "killed its running steps and exits"} {
		if n2.exitErr == nil || !strings.Contains(msg, want) {
			t.Fatalf("node n2 exited (%v) without saying %q:\n%s", n2.exitErr, want, chaosTailOf(msg))
		}
	}
	t.Logf("%s: node n2 fenced itself %v after SIGCONT and exited: %v", c.since(), time.Since(contAt).Round(time.Millisecond), n2.exitErr)
	n5 := c.start("n5")

	// Every workflow ends Succeeded.
	c.waitEnded(ct, chaosDeadline-time.Since(c.began))
	total := time.Since(c.began)
	for _, n := range c.live() {
		list, err := c.phases(n)
		if err != nil {
			t.Fatalf("list through node %s: %v", n.name, err)
		}
		ok := 0
		for _, w := range list {
			if w.Status.Phase == "Succeeded" {
				ok++
			} else {
				t.Errorf("through node %s: %s ended %s: %s", n.name, w.Metadata.Name, w.Status.Phase, w.Status.Message)
			}
		}
		if ok != chaosWorkflows {
			t.Fatalf("through node %s: %d of %d workflows Succeeded", n.name, ok, chaosWorkflows)
		}
	}
	ct.poll(t)
	spans := chaosCheckLog(t, ct.lines)

	// Nodes gone stopped writing: nothing of n1 after it was adopted, nor
	// of n2 after it was (it was continued later still).
	for _, l := range ct.lines {
		if (l.node == "n1" && l.at > adopted1.UnixNano()) || (l.node == "n2" && l.at > adopted2.UnixNano()) {
			t.Fatalf("%s of %s on node %s at %s, after the node was adopted", l.ev, l.key(), l.node, time.Unix(0, l.at).Format(time.StampMicro))
		}
	}
	retried := 0
	for _, sp := range spans {
		if sp.key.attempt > 0 {
			retried++
		}
	}
	c.checkNoHolders()
	c.checkNodes()

	// No permit leaked: three workflows that each hold the semaphore ~2 s
	// run all at once.
	log2 := syncLog(tt)
	live := c.live()
	for i := range chaosSemLimit {
		n := live[i%len(live)]
		name := fmt.Sprintf("after-%d", i)
		if code, b, err := c.do(n, "POST", "/api/v1/workflows/default", chaosHoldWorkflow(name, log2)); err != nil || code != http.StatusOK {
			t.Fatalf("submit %s to node %s: %d %s %v", name, n.name, code, b, err)
		}
	}
	ct2 := &chaosTail{path: log2}
	var asked time.Time
	c.waitFor(ct2, 2*time.Minute, "the three follow-up workflows to end", func() bool {
		if time.Since(asked) < 200*time.Millisecond {
			return false
		}
		asked = time.Now()
		for i := range chaosSemLimit {
			var w chaosWf
			if _, err := c.get(fmt.Sprintf("/api/v1/workflows/default/after-%d", i), &w); err != nil {
				return false
			}
			switch w.Status.Phase {
			case "Succeeded":
			case "Failed", "Error":
				t.Fatalf("after-%d ended %s: %s", i, w.Status.Phase, w.Status.Message)
			default:
				return false
			}
		}
		return true
	})
	ct2.poll(t)
	after := chaosSpans(t, ct2.lines)
	if len(after) != chaosSemLimit {
		t.Fatalf("%d follow-up attempts in the log, want %d: %v", len(after), chaosSemLimit, ct2.lines)
	}
	var lastStart, firstEnd int64 = 0, 1 << 62
	for _, sp := range after {
		if !sp.ended || sp.key.attempt != 0 {
			t.Fatalf("follow-up %s did not run once to its end", sp.key)
		}
		lastStart, firstEnd = max(lastStart, sp.start), min(firstEnd, sp.last)
	}
	if lastStart >= firstEnd {
		t.Fatalf("the %d follow-up workflows did not all hold the semaphore at once (last start %v after the first end): a permit leaked",
			chaosSemLimit, time.Duration(lastStart-firstEnd))
	}
	c.checkNoHolders()

	t.Logf("figures: %d workflows on 3 nodes (+2 replacements) in %v; adoption %v after the kill -9 (lease %v, margin %v); "+
		"adoption %v after the SIGSTOP; PostgreSQL down %v; %d attempts logged, %d of them retries; %d log lines",
		chaosWorkflows, total.Round(100*time.Millisecond), adoptKill.Round(time.Millisecond), chaosTTL, chaosMargin,
		adopted2.Sub(stoppedAt).Round(time.Millisecond), pgDown.Round(time.Millisecond), len(spans), retried, len(ct.lines))
	for _, n := range []*chaosNode{n3, n4, n5} {
		if !n.down && !n.poll() {
			n.proc.stop(tt)
		}
	}
}

// chaosCheckLog checks the 300 workflows' log: each step of each workflow
// ran to its end, no attempt started twice, a retry holds a higher token
// than the attempt before it, the limits held at every moment, and, for
// the mutex, a step that started after another ended holds a higher token.
func chaosCheckLog(t *recT, lines []chaosLine) map[chaosKey]*chaosSpan {
	t.Helper()
	spans := chaosSpans(t, lines)
	lockOf := map[string]string{"sem": chaosSemLock, "mtx": chaosMutexLock}
	byStep := map[[2]string][]*chaosSpan{}
	byLock := map[string][]*chaosSpan{}
	for _, sp := range spans {
		if sp.starts != 1 {
			t.Fatalf("attempt %s (node %s) started %d times", sp.key, sp.node, sp.starts)
		}
		lock, ok := lockOf[sp.key.step]
		if !ok {
			t.Fatalf("attempt %s of an unknown step", sp.key)
		}
		if _, ok := sp.tokens[lock]; !ok {
			t.Fatalf("attempt %s (node %s) ran without a token for %s: %v", sp.key, sp.node, lock, sp.tokens)
		}
		byStep[[2]string{sp.key.wf, sp.key.step}] = append(byStep[[2]string{sp.key.wf, sp.key.step}], sp)
		byLock[lock] = append(byLock[lock], sp)
	}
	for i := range chaosWorkflows {
		for _, step := range []string{"sem", "mtx"} {
			atts := byStep[[2]string{fmt.Sprintf("chaos-%03d", i), step}]
			sort.Slice(atts, func(a, b int) bool { return atts[a].key.attempt < atts[b].key.attempt })
			if len(atts) == 0 || !atts[len(atts)-1].ended {
				t.Errorf("chaos-%03d: step %s has no attempt that ran to its end: %d attempts", i, step, len(atts))
				continue
			}
			for j := 1; j < len(atts); j++ {
				lock := lockOf[step]
				prev, cur := atts[j-1], atts[j]
				if cur.tokens[lock] <= prev.tokens[lock] {
					t.Errorf("retried attempt %s (node %s) holds token %d for %s, not above its previous attempt %s's %d (node %s)",
						cur.key, cur.node, cur.tokens[lock], lock, prev.key, prev.tokens[lock], prev.node)
				}
			}
		}
	}
	for _, lk := range []struct {
		lock    string
		limit   int
		ordered bool
	}{{chaosSemLock, chaosSemLimit, false}, {chaosMutexLock, 1, true}} {
		list := byLock[lk.lock]
		var attempts []chaosInterval
		for _, sp := range list {
			attempts = append(attempts, chaosInterval{sp.start, sp.last, fmt.Sprintf("%s on %s token %d", sp.key, sp.node, sp.tokens[lk.lock])})
		}
		peak := chaosPeak(t, lk.lock, lk.limit, "running attempts", attempts)
		holdPeak := chaosPeak(t, lk.lock, lk.limit, "permits held", chaosHolds(t, lk.lock, list))
		n, worst := chaosInversions(lk.lock, list)
		if lk.ordered && n > 0 {
			t.Errorf("%s: %d steps started after another ended with a lower token; first: %s", lk.lock, n, worst)
		}
		t.Logf("%s: %d attempts, at most %d running and %d permits held at once (limit %d); %d started after a step of a higher token ended (granted earlier, started later)%s",
			lk.lock, len(list), peak, holdPeak, lk.limit, n, map[bool]string{true: ": " + worst}[n > 0])
	}
	return spans
}

// chaosInterval is a stretch of time a lock was held, named for messages.
type chaosInterval struct {
	from, to int64
	what     string
}

func stamp(ns int64) string { return time.Unix(0, ns).Format("15:04:05.000000") }

// chaosPeak is the most intervals that overlap at any moment; more than
// limit fails the test, naming them.
func chaosPeak(t *recT, lock string, limit int, what string, ivs []chaosInterval) int {
	t.Helper()
	type edge struct {
		at    int64
		delta int
		iv    int
	}
	var edges []edge
	for i, iv := range ivs {
		edges = append(edges, edge{iv.from, 1, i}, edge{iv.to, -1, i})
	}
	// At equal times a start counts before an end: the stricter order.
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].at != edges[j].at {
			return edges[i].at < edges[j].at
		}
		return edges[i].delta > edges[j].delta
	})
	cur, peak := 0, 0
	open := map[int]bool{}
	for _, e := range edges {
		cur += e.delta
		if e.delta > 0 {
			open[e.iv] = true
		} else {
			delete(open, e.iv)
		}
		if cur > limit {
			var who []string
			for i := range open {
				who = append(who, fmt.Sprintf("%s [%s..%s]", ivs[i].what, stamp(ivs[i].from), stamp(ivs[i].to)))
			}
			sort.Strings(who)
			t.Errorf("%d %s of %s (limit %d) at %s:\n%s", cur, what, lock, limit, stamp(e.at), strings.Join(who, "\n"))
			return cur
		}
		peak = max(peak, cur)
	}
	return peak
}

// chaosHolds turns a lock's attempts into the permits behind them, each
// from the moment it was surely held to its last line. A token is one
// grant: the attempts that carry it (a retry not re-fenced keeps it) are
// one permit, from the first one's start. And a grant precedes every
// grant of a higher token: a permit whose step started late (granted, then
// a slow start on a loaded machine) was already held when a step of a
// higher token started, if that was before the permit's last line. So its
// span goes back to that start, and a semaphore's granted but not yet
// started permits count too.
func chaosHolds(t *recT, lock string, list []*chaosSpan) []chaosInterval {
	t.Helper()
	type hold struct {
		tok      uint64
		from, to int64
		who      chaosKey
		node     string
	}
	byTok := map[uint64]*hold{}
	for _, sp := range list {
		tok := sp.tokens[lock]
		h := byTok[tok]
		if h == nil {
			byTok[tok] = &hold{tok: tok, from: sp.start, to: sp.last, who: sp.key, node: sp.node}
			continue
		}
		if h.who.wf != sp.key.wf || h.who.step != sp.key.step {
			t.Errorf("token %d for %s given to %s (node %s) and to %s (node %s)", tok, lock, h.who, h.node, sp.key, sp.node)
		}
		h.from, h.to = min(h.from, sp.start), max(h.to, sp.last)
	}
	holds := make([]*hold, 0, len(byTok))
	for _, h := range byTok {
		holds = append(holds, h)
	}
	sort.Slice(holds, func(i, j int) bool { return holds[i].tok > holds[j].tok })
	var out []chaosInterval
	higher := int64(1 << 62) // the earliest start among higher tokens
	for _, h := range holds {
		from := h.from
		if higher < from && higher < h.to {
			from = higher
		}
		higher = min(higher, h.from)
		out = append(out, chaosInterval{from, h.to, fmt.Sprintf("token %d of %s on %s (its start %s)", h.tok, h.who, h.node, stamp(h.from))})
	}
	return out
}

// chaosInversions counts the attempts that started after an attempt with a
// higher or equal token ended, and describes the first.
func chaosInversions(lock string, list []*chaosSpan) (int, string) {
	byEnd := append([]*chaosSpan(nil), list...)
	sort.Slice(byEnd, func(i, j int) bool { return byEnd[i].last < byEnd[j].last })
	byStart := append([]*chaosSpan(nil), list...)
	sort.Slice(byStart, func(i, j int) bool { return byStart[i].start < byStart[j].start })
	var hi *chaosSpan // the highest token among attempts ended so far
	n, first, k := 0, "", 0
	for _, b := range byStart {
		for ; k < len(byEnd) && byEnd[k].last < b.start; k++ {
			if hi == nil || byEnd[k].tokens[lock] >= hi.tokens[lock] {
				hi = byEnd[k]
			}
		}
		if hi != nil && b.tokens[lock] <= hi.tokens[lock] {
			if n == 0 {
				first = fmt.Sprintf("%s (node %s) started at %s with token %d, after %s (node %s, token %d) ended at %s",
					b.key, b.node, stamp(b.start), b.tokens[lock], hi.key, hi.node, hi.tokens[lock], stamp(hi.last))
			}
			n++
		}
	}
	return n, first
}

// checkNodes reads the nodes through each live node: the sessions of the
// nodes adopted are gone, those left are live and run nothing.
func (c *chaosCluster) checkNodes() {
	c.t.Helper()
	live := c.live()
	var want []string
	for _, n := range live {
		want = append(want, n.name)
	}
	for _, n := range live {
		var nodes struct {
			Items []struct {
				Name          string `json:"name"`
				Live          bool   `json:"live"`
				WorkflowCount int    `json:"workflowCount"`
			} `json:"items"`
		}
		code, b, err := c.do(n, "GET", "/api/v1/nodes", "")
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("%d %s", code, b)
		}
		if err == nil {
			err = json.Unmarshal(b, &nodes)
		}
		if err != nil {
			c.t.Fatalf("nodes through node %s: %v", n.name, err)
		}
		var got []string
		for _, it := range nodes.Items {
			got = append(got, it.Name)
			if !it.Live || it.WorkflowCount != 0 {
				c.t.Errorf("through node %s, node %s is live=%v with %d workflows, want live with none", n.name, it.Name, it.Live, it.WorkflowCount)
			}
		}
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			c.t.Errorf("through node %s, the nodes are %v, want %v (the adopted ones gone)", n.name, got, want)
		}
	}
}

// checkNoHolders reads the sync status through each live node: no holder
// or waiter is left on either lock.
func (c *chaosCluster) checkNoHolders() {
	c.t.Helper()
	for _, n := range c.live() {
		var views struct {
			Items []struct {
				Lock    string            `json:"lock"`
				Holders map[string]uint64 `json:"holders"`
				Waiters []string          `json:"waiters"`
			} `json:"items"`
		}
		code, b, err := c.do(n, "GET", "/api/v1/sync-status", "")
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("%d %s", code, b)
		}
		if err == nil {
			err = json.Unmarshal(b, &views)
		}
		if err != nil {
			c.t.Fatalf("sync status through node %s: %v", n.name, err)
		}
		seen := 0
		for _, v := range views.Items {
			if v.Lock != chaosSemLock && v.Lock != chaosMutexLock {
				continue
			}
			seen++
			if len(v.Holders) > 0 || len(v.Waiters) > 0 {
				c.t.Fatalf("through node %s, %s still has holders %v and waiters %v", n.name, v.Lock, v.Holders, v.Waiters)
			}
		}
		if seen != 2 {
			c.t.Fatalf("through node %s, the sync status shows %d of the 2 locks: %s", n.name, seen, b)
		}
	}
}
