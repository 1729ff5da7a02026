package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// stepLog is what the steps of a scenario append to a shared file; the
// checks read nothing else.
type stepEvent struct {
	start  bool
	at     int64
	who    string
	tokens map[string]uint64
}

// syncLog makes a directory outside /tmp for the steps' shared log: each
// step has its own private /tmp, so a path under the host's /tmp (where a
// clone, and t.TempDir, may well live) is invisible to it.
func syncLog(t *testing.T) string {
	t.Helper()
	// Steps see /tmp privately and, run as the step user (as root), also
	// /var/tmp and /dev/shm: /run is a host directory they do share.
	parent := "/var/tmp"
	if os.Geteuid() == 0 {
		parent = "/run"
	}
	if st, err := os.Stat(parent); err != nil || !st.IsDir() {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatal(err)
		}
		parent = home
	}
	dir, err := os.MkdirTemp(parent, "semaflow-synclog-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	// A server's steps run as an unprivileged user (as root): they must
	// be able to append to the log.
	log := filepath.Join(dir, "log")
	if err := os.WriteFile(log, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(os.Chmod(log, 0o666), os.Chmod(dir, 0o755)); err != nil {
		t.Fatal(err)
	}
	return log
}

// recordStep is a shell snippet that logs start and end around a sleep.
func recordStep(log, who, sleep string) string {
	return fmt.Sprintf(`echo "start $(date +%%s%%N) %s $SEMAFLOW_LOCK_TOKENS" >> %s; sleep %s; echo "end $(date +%%s%%N) %s" >> %s`,
		who, log, sleep, who, log)
}

func readLog(t *testing.T, path string) []stepEvent {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []stepEvent
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 {
			t.Fatalf("bad log line %q", sc.Text())
		}
		at, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		ev := stepEvent{start: fields[0] == "start", at: at, who: fields[2], tokens: map[string]uint64{}}
		if ev.start && len(fields) > 3 {
			for _, kv := range strings.Split(fields[3], ";") {
				k, v, _ := strings.Cut(kv, "=")
				n, _ := strconv.ParseUint(v, 10, 64)
				ev.tokens[k] = n
			}
		}
		out = append(out, ev)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at < out[j].at })
	return out
}

// maxConcurrent replays the log and returns the peak number of steps
// between their start and end.
func maxConcurrent(events []stepEvent) int {
	cur, peak := 0, 0
	for _, e := range events {
		if e.start {
			cur++
		} else {
			cur--
		}
		peak = max(peak, cur)
	}
	return peak
}

// tokensIncrease checks a lock's fencing tokens: never handed out twice,
// and a step that started after another ended holds a higher token (steps
// granted together may start in either order).
func tokensIncrease(t *testing.T, events []stepEvent, lock string) {
	t.Helper()
	tokensCheck(t, events, lock, true)
}

// tokensUnique checks only that no token is handed out twice. After a
// kill -9 a step granted before the crash may start only once the next
// server runs, still holding its permit and its (lower) token, while
// steps granted after it have come and gone: legitimate for a semaphore,
// whose holders' count the caller checks with maxConcurrent.
func tokensUnique(t *testing.T, events []stepEvent, lock string) {
	t.Helper()
	tokensCheck(t, events, lock, false)
}

func tokensCheck(t *testing.T, events []stepEvent, lock string, ordered bool) {
	t.Helper()
	type span struct {
		start, end int64
		tok        uint64
	}
	spans := map[string]*span{}
	seen := map[uint64]string{}
	for _, e := range events {
		if e.start {
			tok, ok := e.tokens[lock]
			if !ok {
				t.Fatalf("%s started without a token for %s: %v", e.who, lock, e.tokens)
			}
			if other, dup := seen[tok]; dup {
				t.Fatalf("token %d for %s handed to %s and %s", tok, lock, other, e.who)
			}
			seen[tok] = e.who
			spans[e.who] = &span{start: e.at, tok: tok}
		} else if sp := spans[e.who]; sp != nil {
			sp.end = e.at
		}
	}
	for a, sa := range spans {
		if !ordered {
			break
		}
		for b, sb := range spans {
			if sa.end != 0 && sa.end < sb.start && sa.tok >= sb.tok {
				t.Fatalf("%s (token %d) started after %s (token %d) ended, with a lower token", b, sb.tok, a, sa.tok)
			}
		}
	}
}

func TestSemaphoreLimitHoldsAcrossWorkflows(t *testing.T) {
	log := syncLog(t)
	f := semaphoreScenario(t, log, "0.3")
	wfs, stderr, code := runJSON(t, "--count", "8", f)
	if code != 0 || len(wfs) != 8 {
		t.Fatalf("exit %d, %d workflows\n%s", code, len(wfs), stderr)
	}
	events := readLog(t, log)
	if len(events) != 16 {
		t.Fatalf("%d log lines, want 16", len(events))
	}
	if peak := maxConcurrent(events); peak != 2 {
		t.Fatalf("peak %d concurrent holders, want exactly the limit 2", peak)
	}
	tokensIncrease(t, events, "default/ConfigMap/limits/db")
}

func TestTemplateMutexInsideADAG(t *testing.T) {
	log := syncLog(t)
	f := writeFile(t, "mutex.yaml", fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: mutex-}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: a, template: locked, arguments: {parameters: [{name: who, value: a}]}}
      - {name: b, template: locked, arguments: {parameters: [{name: who, value: b}]}}
      - {name: c, template: locked, arguments: {parameters: [{name: who, value: c}]}}
      - {name: d, template: locked, arguments: {parameters: [{name: who, value: d}]}}
  - name: locked
    inputs: {parameters: [{name: who}]}
    synchronization:
      mutexes: [{name: only-one}]
    container: {image: x, command: [sh, -c, '%s']}
`, recordStep(log, "{{inputs.parameters.who}}", "0.2")))
	wfs, stderr, code := runJSON(t, f)
	if code != 0 || wfs[0].Status.Phase != "Succeeded" {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	events := readLog(t, log)
	if len(events) != 8 || maxConcurrent(events) != 1 {
		t.Fatalf("%d lines, peak %d holders of a mutex", len(events), maxConcurrent(events))
	}
	tokensIncrease(t, events, "default/Mutex/only-one")
}

// A gate holds the mutex while three workflows of priorities 1, 5 and 3
// queue for it; they must start in priority order.
func TestWaitersStartInPriorityOrder(t *testing.T) {
	log := syncLog(t)
	docs := []string{fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: gate}
spec:
  entrypoint: locked
  templates:
  - name: locked
    synchronization: {mutexes: [{name: m}]}
    container: {image: x, command: [sh, -c, '%s']}
`, recordStep(log, "gate", "1.5"))}
	for _, p := range []int{1, 5, 3} {
		docs = append(docs, fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: prio-%d}
spec:
  entrypoint: main
  priority: %d
  templates:
  - name: main
    steps:
    - - {name: later, template: pause}
    - - {name: work, template: locked}
  - {name: pause, container: {image: x, command: [sleep, "0.4"]}}
  - name: locked
    synchronization: {mutexes: [{name: m}]}
    container: {image: x, command: [sh, -c, '%s']}
`, p, p, recordStep(log, fmt.Sprintf("prio-%d", p), "0.1")))
	}
	f := writeFile(t, "prio.yaml", strings.Join(docs, "---\n"))
	if _, stderr, code := runJSON(t, f); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var order []string
	for _, e := range readLog(t, log) {
		if e.start {
			order = append(order, e.who)
		}
	}
	if strings.Join(order, ",") != "gate,prio-5,prio-3,prio-1" {
		t.Fatalf("start order %v, want gate then priority 5, 3, 1", order)
	}
}

func semaphoreScenario(t *testing.T, log, sleep string) string {
	return writeFile(t, "sem.yaml", fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata: {name: limits}
data: {db: "2"}
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: sem-}
spec:
  entrypoint: main
  synchronization:
    semaphores:
    - configMapKeyRef: {name: limits, key: db}
  templates:
  - name: main
    container: {image: x, command: [sh, -c, '%s']}
`, recordStep(log, "$SEMAFLOW_WORKFLOW", sleep)))
}

// The engine is killed with SIGKILL while two workflows hold the
// semaphore and four wait; a new engine on the same --db resumes them.
// The steps' own log must show the limit held throughout, tokens never
// reused, every workflow succeeding, and afterwards both permits free.
func TestKilledEngineResumesWithoutLeakOrDoubleGrant(t *testing.T) {
	log := syncLog(t)
	db := filepath.Join(t.TempDir(), "state.db")
	f := semaphoreScenario(t, log, "1")
	first := exec.Command(binary, "run", "--plain", "--db", db, "--count", "6", f)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1600 * time.Millisecond)
	_ = first.Process.Kill()
	_ = first.Wait()

	wfs, stderr, code := runJSON(t, "--db", db)
	if code != 0 || len(wfs) == 0 || !strings.Contains(stderr, "resuming") {
		t.Fatalf("resume: exit %d, %d workflows\n%s", code, len(wfs), stderr)
	}
	events := readLog(t, log)
	if len(events) != 12 {
		t.Fatalf("%d log lines, want 6 starts and 6 ends:\n%v", len(events), events)
	}
	if peak := maxConcurrent(events); peak > 2 {
		t.Fatalf("peak %d holders of a limit-2 semaphore across the restart", peak)
	}
	tokensIncrease(t, events, "default/ConfigMap/limits/db")

	// Nothing leaked: two new workflows hold both permits at once.
	_ = os.Remove(log)
	f2 := semaphoreScenario(t, log, "0.5")
	if _, stderr, code := runJSON(t, "--db", db, "--count", "2", f2); code != 0 {
		t.Fatalf("follow-up: exit %d\n%s", code, stderr)
	}
	if peak := maxConcurrent(readLog(t, log)); peak != 2 {
		t.Fatalf("follow-up ran %d at once, want 2: a permit leaked", peak)
	}
}

// A step killed by SIGKILL fails its workflow and releases its permit.
func TestSIGKILLedStepReleasesItsPermit(t *testing.T) {
	log := syncLog(t)
	f := writeFile(t, "kill.yaml", `apiVersion: v1
kind: ConfigMap
metadata: {name: limits}
data: {db: "1"}
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: killed}
spec:
  entrypoint: main
  synchronization: {semaphores: [{configMapKeyRef: {name: limits, key: db}}]}
  templates:
  - {name: main, container: {image: x, command: [sh, -c, 'kill -9 $$']}}
`)
	db := filepath.Join(t.TempDir(), "state.db")
	wfs, _, code := runJSON(t, "--db", db, f)
	if code != 1 || wfs[0].Status.Phase != "Failed" || !strings.Contains(wfs[0].Status.Message, "exit code 137") {
		t.Fatalf("exit %d, %+v", code, wfs[0].Status)
	}
	f2 := semaphoreScenario(t, log, "0.1")
	if _, stderr, code := runJSON(t, "--db", db, f2); code != 0 {
		t.Fatalf("follow-up after the SIGKILLed step: exit %d\n%s", code, stderr)
	}
}

// --parallelism caps running workflows with the same queue as locks.
func TestEngineParallelismCapsRunningWorkflows(t *testing.T) {
	log := syncLog(t)
	f := writeFile(t, "plain.yaml", fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: capped-}
spec:
  entrypoint: main
  templates:
  - {name: main, container: {image: x, command: [sh, -c, '%s']}}
`, recordStep(log, "$SEMAFLOW_WORKFLOW", "0.3")))
	if _, stderr, code := runJSON(t, "--parallelism", "2", "--count", "6", f); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if peak := maxConcurrent(readLog(t, log)); peak != 2 {
		t.Fatalf("%d workflows ran at once under --parallelism 2", peak)
	}
}

func TestSyncCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "state.db")
	// A mistyped path makes no database: a new one takes --create.
	if out, code := run(t, "sync", "set", "--db", db, "default/Database/workflow", "1"); code != 1 || !strings.Contains(out, "--create") {
		t.Fatalf("sync set on a missing database without --create: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatalf("a refused sync set left %s behind: %v", db, err)
	}
	if out, code := run(t, "sync", "set", "--create", "--db", db, "default/Database/workflow", "1"); code != 0 || !strings.Contains(out, "limit 1") || !strings.Contains(out, "created it") {
		t.Fatalf("sync set on a new database: exit %d, want it to say it created it\n%s", code, out)
	}
	f := writeFile(t, "db.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: dbsem-}
spec:
  entrypoint: main
  synchronization:
    semaphores: [{database: {key: workflow}}]
  templates:
  - {name: main, container: {image: x, command: ["true"]}}
`)
	if _, stderr, code := runJSON(t, "--db", db, "--count", "3", f); code != 0 {
		t.Fatalf("database semaphore: exit %d\n%s", code, stderr)
	}
	out, code := run(t, "sync", "get", "--db", db, "default/Database/workflow")
	if code != 0 || !regexp.MustCompile(`default/Database/workflow\s+1\s+0\s+0\s+3`).MatchString(out) {
		t.Fatalf("sync get: exit %d\n%s", code, out)
	}
	for _, bad := range [][]string{
		{"sync", "set", "--db", db, "default/Mutex/m", "2"},
		{"sync", "set", "--db", db, "default/DatabaseMutex/m", "2"},
		{"sync", "set", "--db", db, "default/ConfigMap/x/y", "-1"},
		{"sync", "set", "--db", db, "nonsense", "1"},
		// No workflow can name a lock with an empty part: setting one
		// would store a limit nothing ever uses.
		{"sync", "set", "--db", db, "default/ConfigMap//k", "1"},
		{"sync", "set", "--db", db, "/Database/workflow", "1"},
		{"sync", "get", "--db", db, "default/Database/none"},
	} {
		if out, code := run(t, bad...); code != 1 || !strings.Contains(out, "semaflow:") {
			t.Errorf("%v: exit %d\n%s", bad, code, out)
		}
	}
}

// perLockPeak replays the log per lock, counting a step as a holder of
// every lock it has a token for.
func perLockPeak(events []stepEvent) map[string]int {
	held := map[string]map[string]bool{} // lock -> holders
	peak := map[string]int{}
	locksOf := map[string][]string{}
	for _, e := range events {
		if e.start {
			for lock := range e.tokens {
				if held[lock] == nil {
					held[lock] = map[string]bool{}
				}
				held[lock][e.who] = true
				locksOf[e.who] = append(locksOf[e.who], lock)
				peak[lock] = max(peak[lock], len(held[lock]))
			}
		} else {
			for _, lock := range locksOf[e.who] {
				delete(held[lock], e.who)
			}
		}
	}
	return peak
}

// Y needs both semaphores; it never holds one while it waits for the
// other, and each semaphore has one holder at a time.
func TestSeveralLocksAreTakenAllOrNothing(t *testing.T) {
	log := syncLog(t)
	step := func(who, sleep string, locks ...string) string {
		var refs []string
		for _, l := range locks {
			refs = append(refs, fmt.Sprintf("{configMapKeyRef: {name: limits, key: %s}}", l))
		}
		return fmt.Sprintf(`  - name: %s
    synchronization: {semaphores: [%s]}
    container: {image: x, command: [sh, -c, '%s']}
`, who, strings.Join(refs, ", "), recordStep(log, who, sleep))
	}
	f := writeFile(t, "multi.yaml", `apiVersion: v1
kind: ConfigMap
metadata: {name: limits}
data: {a: "1", b: "1"}
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: multi}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: x, template: x}
      - {name: y, template: y}
      - {name: z, template: z}
      - {name: z2, template: z, depends: z}
`+step("x", "0.6", "a")+step("y", "0.2", "a", "b")+step("z", "0.2", "b"))
	if _, stderr, code := runJSON(t, f); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	events := readLog(t, log)
	for lock, peak := range perLockPeak(events) {
		if peak > 1 {
			for _, e := range events {
				t.Log(e.start, e.at, e.who, e.tokens)
			}
			t.Fatalf("%s had %d holders at once", lock, peak)
		}
	}
	for _, e := range events {
		if e.start && e.who == "y" && len(e.tokens) != 2 {
			t.Fatalf("y started with tokens %v, want both locks", e.tokens)
		}
	}
}
