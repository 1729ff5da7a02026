package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// stepLog is what the steps of a scenario append to a shared file; the
// checks read nothing else.
type stepEvent struct {
	start  bool
	at     int64
	who    string
	tokens map[string]uint64
}

// syncLog makes a directory outside /tmp (steps have a private /tmp) for
// the steps' shared log.
func syncLog(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp(".", "synclog-")
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(dir)
	t.Cleanup(func() { _ = os.RemoveAll(abs) })
	return filepath.Join(abs, "log")
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

// tokensIncrease checks each lock's fencing tokens rise with start order
// and are never handed out twice.
func tokensIncrease(t *testing.T, events []stepEvent, lock string) {
	t.Helper()
	var last uint64
	for _, e := range events {
		if !e.start {
			continue
		}
		tok, ok := e.tokens[lock]
		if !ok {
			t.Fatalf("%s started without a token for %s: %v", e.who, lock, e.tokens)
		}
		if tok <= last {
			t.Fatalf("token %d for %s after %d: not increasing in start order", tok, lock, last)
		}
		last = tok
	}
}

func TestSemaphoreLimitHoldsAcrossWorkflows(t *testing.T) {
	log := syncLog(t)
	f := writeFile(t, "sem.yaml", fmt.Sprintf(`apiVersion: v1
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
`, recordStep(log, "$SEMAFLOW_WORKFLOW", "0.3")))
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
