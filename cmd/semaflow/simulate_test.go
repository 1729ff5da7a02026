package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
)

// simScenario is one mutex, a seat, and a semaphore of two, a pool. An
// opener takes the seat at once and holds it 1.2 s; meanwhile five jobs
// of distinct priorities finish a 0.3 s step and queue for the seat, hold
// it 0.4 s each in priority order, then the pool for 1 s (the pool
// queues too). The seat step writes when it starts (MARKS/<workflow>).
// Holds are long against a process spawn, so a loaded machine keeps the
// order.
func simScenario(marks string) string {
	var b strings.Builder
	seat := `    synchronization: {mutexes: [{name: seat}]}
    container: {image: busybox, command: [sh, -c, 'date +%s%N > MARKS/{{workflow.name}}; sleep SECS']}
`
	b.WriteString(`apiVersion: v1
kind: ConfigMap
metadata: {name: sim-limits}
data: {pool: "2"}
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: opener}
spec:
  entrypoint: seat
  templates:
  - name: seat
` + strings.Replace(seat, "SECS", "1.2", 1))
	for _, j := range []struct {
		name string
		prio int
	}{{"job-a", 20}, {"job-b", 50}, {"job-c", 10}, {"job-d", 40}, {"job-e", 30}} {
		fmt.Fprintf(&b, `---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: %s}
spec:
  entrypoint: main
  priority: %d
  templates:
  - name: main
    steps:
    - - {name: prepare, template: prepare}
    - - {name: seat, template: seat}
    - - {name: pool, template: pool}
  - name: prepare
    container: {image: busybox, command: [sleep, "0.3"]}
  - name: pool
    synchronization: {semaphores: [{configMapKeyRef: {name: sim-limits, key: pool}}]}
    container: {image: busybox, command: [sleep, "1"]}
  - name: seat
%s`, j.name, j.prio, strings.Replace(seat, "SECS", "0.4", 1))
	}
	return strings.ReplaceAll(b.String(), "MARKS", marks)
}

// simReport is the part of simulate -o json this test reads.
type simReport struct {
	Done      float64 `json:"doneSeconds"`
	Workflows []struct {
		Name string `json:"name"`
	} `json:"workflows"`
	Recorded *struct {
		Done float64 `json:"doneSeconds"`
	} `json:"recorded"`
}

func runSplit(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	default:
		t.Fatalf("running %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// A small scenario run for real, then simulated from what its database
// recorded: the simulation starts the workflows in the order they really
// started, and is done within 10% of the real run. Both sides measure the
// total the same way: from the first workflow's creation to the last
// one's end.
func TestSimulateReproducesARecordedRun(t *testing.T) {
	dir := t.TempDir()
	marks := filepath.Join(dir, "marks")
	if err := os.Mkdir(marks, 0o755); err != nil {
		t.Fatal(err)
	}
	scen := filepath.Join(dir, "scenario.yaml")
	if err := os.WriteFile(scen, []byte(simScenario(marks)), 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "run.db")
	out, errOut, code := runSplit(t, "run", "--db", db, "--private-tmp=false", "--plain", "-o", "json", scen)
	if code != 0 {
		t.Fatalf("run exited %d: %s", code, errOut)
	}
	// The real total, from the workflows run printed.
	var first, last time.Time
	dec := json.NewDecoder(strings.NewReader(out))
	n := 0
	for range 100 {
		var wf wfv1.Workflow
		if err := dec.Decode(&wf); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("reading run's output: %v", err)
		}
		n++
		if c := *wf.Metadata.CreationTimestamp; first.IsZero() || c.Before(first) {
			first = c
		}
		if f := *wf.Status.FinishedAt; f.After(last) {
			last = f
		}
	}
	if n != 6 {
		t.Fatalf("run printed %d workflows, want 6", n)
	}
	real := last.Sub(first).Seconds()
	// The real start order, as the steps themselves saw it.
	type mark struct {
		name string
		at   int64
	}
	var seen []mark
	for _, name := range []string{"opener", "job-a", "job-b", "job-c", "job-d", "job-e"} {
		b, err := os.ReadFile(filepath.Join(marks, name))
		if err != nil {
			t.Fatal(err)
		}
		at, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			t.Fatalf("mark of %s: %v", name, err)
		}
		seen = append(seen, mark{name, at})
	}
	sort.Slice(seen, func(i, j int) bool { return seen[i].at < seen[j].at })
	var realOrder []string
	for _, m := range seen {
		realOrder = append(realOrder, "default/"+m.name)
	}
	// Priority decides once the opener holds the seat.
	if want := []string{"default/opener", "default/job-b", "default/job-d", "default/job-e", "default/job-a", "default/job-c"}; !slices.Equal(realOrder, want) {
		t.Fatalf("the real run started %v, want %v: the scenario did not queue as designed", realOrder, want)
	}

	simulate := func(args ...string) simReport {
		t.Helper()
		out, errOut, code := runSplit(t, append([]string{"simulate", "--db", db, "-o", "json"}, args...)...)
		if code != 0 {
			t.Fatalf("simulate %v exited %d: %s", args, code, errOut)
		}
		var r simReport
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("simulate -o json: %v\n%s", err, out)
		}
		return r
	}
	got := simulate()
	var simOrder []string
	for _, w := range got.Workflows {
		simOrder = append(simOrder, w.Name)
	}
	if !slices.Equal(simOrder, realOrder) {
		t.Errorf("simulated start order %v, really %v", simOrder, realOrder)
	}
	if math.Abs(got.Done-real) > 0.10*real {
		t.Errorf("simulated total %.3fs, really %.3fs: more than 10%% apart", got.Done, real)
	}
	if got.Recorded == nil || math.Abs(got.Recorded.Done-real) > 0.005 {
		t.Errorf("simulate's recorded total %+v, really %.3fs", got.Recorded, real)
	}
	t.Logf("real %.3fs, simulated %.3fs (%+.1f%%)", real, got.Done, (got.Done-real)/real*100)
	// The same input, the same output; and what-ifs: three seats end
	// sooner; the top priority given to job-c starts it right after
	// the opener.
	if again := simulate(); !slices.Equal(simOrder, namesOf(again)) || again.Done != got.Done {
		t.Errorf("a second simulation differs: %+v, then %+v", got, again)
	}
	if seats := simulate("--set", "seat=3"); seats.Done >= got.Done {
		t.Errorf("with 3 seats done at %.3fs, no sooner than with 1 (%.3fs)", seats.Done, got.Done)
	}
	if first := namesOf(simulate("--priority", "job-c=99")); first[1] != "default/job-c" {
		t.Errorf("with job-c at priority 99 the start order is %v, want job-c second", first)
	}
}

func namesOf(r simReport) []string {
	var out []string
	for _, w := range r.Workflows {
		out = append(out, w.Name)
	}
	return out
}
