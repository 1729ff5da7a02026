package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// benchCase is one measured scenario.
type benchCase struct {
	name string
	run  func(b build, dir string) (metrics, error)
}

func allCases() []benchCase {
	return []benchCase{
		{"dag1000", stepsCase(wideDAG(1000), 1000)},
		{"seq1000", stepsCase(sequence(1000), 1000)},
		{"dag10000", stepsCase(wideDAG(10000), 10000)},
		{"seq10000", stepsCase(sequence(10000), 10000)},
		{"drain1000", drainCase},
		{"handoff", handoffCase(false)},
		{"handoff-load", handoffCase(true)},
		{"burst-user1000", burstUserCase(1000)},
	}
}

func caseNames() []string {
	var out []string
	for _, c := range allCases() {
		out = append(out, c.name)
	}
	return out
}

func pickCases(list string) ([]benchCase, error) {
	all := allCases()
	if list == "all" {
		return all, nil
	}
	var out []benchCase
	for _, name := range strings.Split(list, ",") {
		found := false
		for _, c := range all {
			if c.name == strings.TrimSpace(name) {
				out = append(out, c)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("no case %q (have %s)", name, strings.Join(caseNames(), ", "))
		}
	}
	return out, nil
}

// wideDAG is n independent `true` tasks under spec.parallelism 8.
func wideDAG(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: wide-}\nspec:\n  entrypoint: main\n  parallelism: 8\n  templates:\n  - name: main\n    dag:\n      tasks:\n")
	for i := range n {
		fmt.Fprintf(&b, "      - {name: t%d, template: noop}\n", i)
	}
	b.WriteString("  - {name: noop, container: {image: x, command: [\"true\"]}}\n")
	return b.String()
}

// sequence is one step fanned out by withSequence to n `true` steps, 8 at
// a time.
func sequence(n int) string { return fanOut(n, "  parallelism: 8\n") }

// fanOut is one step fanned out by withSequence to n `true` steps, under
// the spec lines extra.
func fanOut(n int, extra string) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: seq-}
spec:
  entrypoint: main
%s  templates:
  - name: main
    steps:
    - - {name: s, template: noop, withSequence: {count: "%d"}}
  - {name: noop, container: {image: x, command: ["true"]}}
`, extra, n)
}

// onSemaphore is a workflow of one `true` step holding a semaphore of
// limit; run it with --count.
func onSemaphore(limit int) string {
	return fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata: {name: limits}
data: {sem: "%d"}
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: q-}
spec:
  entrypoint: main
  synchronization:
    semaphores: [{configMapKeyRef: {name: limits, key: sem}}]
  templates:
  - {name: main, container: {image: x, command: ["true"]}}
`, limit)
}

// workflow is the part of a final workflow the figures need.
type workflow struct {
	Metadata struct{ Name string }
	Status   struct {
		Phase                 string
		StartedAt, FinishedAt time.Time
		Nodes                 map[string]struct {
			Type                  string
			StartedAt, FinishedAt *time.Time
		}
	}
}

// runManifest runs manifest with `semaflow run` in dir and returns the
// final workflows.
func runManifest(b build, dir, manifest string, count int, extra ...string) ([]workflow, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if *cleanEach {
		defer func() { _ = os.RemoveAll(dir) }()
	}
	file := filepath.Join(dir, "wf.yaml")
	if err := os.WriteFile(file, []byte(manifest), 0o600); err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	args := append([]string{"run", "--db", filepath.Join(dir, "db"), "-o", "json", "--plain", "--count", fmt.Sprint(count)}, extra...)
	cmd := exec.Command(b.bin, append(args, file)...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tail := stderr.String()
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return nil, fmt.Errorf("%s run: %w\n%s", b.bin, err, tail)
	}
	var out []workflow
	dec := json.NewDecoder(&stdout)
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("reading run's -o json: %w", err)
		}
		if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
			var many []workflow
			if err := json.Unmarshal(raw, &many); err != nil {
				return nil, err
			}
			out = append(out, many...)
			continue
		}
		var one workflow
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, err
		}
		out = append(out, one)
	}
	if len(out) != count {
		return nil, fmt.Errorf("run printed %d workflows, want %d", len(out), count)
	}
	for _, wf := range out {
		if wf.Status.Phase != "Succeeded" {
			return nil, fmt.Errorf("%s ended %s", wf.Metadata.Name, wf.Status.Phase)
		}
	}
	return out, nil
}

// span is the engine's wall time from the first workflow's start to the
// last one's end.
func span(wfs []workflow) time.Duration {
	first, last := wfs[0].Status.StartedAt, wfs[0].Status.FinishedAt
	for _, wf := range wfs[1:] {
		if wf.Status.StartedAt.Before(first) {
			first = wf.Status.StartedAt
		}
		if wf.Status.FinishedAt.After(last) {
			last = wf.Status.FinishedAt
		}
	}
	return last.Sub(first)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// stepsCase runs one workflow of n `true` steps, 8 at a time.
func stepsCase(manifest string, n int) func(build, string) (metrics, error) {
	return func(b build, dir string) (metrics, error) {
		var wall time.Duration
		floor, err := bracketFloor(8, func() error {
			wfs, err := runManifest(b, dir, manifest, 1)
			if err == nil {
				wall = span(wfs)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		per := wall / time.Duration(n)
		return metrics{{"ms/step", ms(per)}, {"floor-ms", ms(floor)}, {"step/floor", float64(per) / float64(floor)}}, nil
	}
}

// burstUserCase runs one workflow of n `true` steps, all at once, each as
// the step user (`--step-user`, as a server run as root does): each step
// starts through its own step init (semaflow-init beside the build, or
// `semaflow exec --init` for builds without it). Root only.
func burstUserCase(n int) func(build, string) (metrics, error) {
	manifest := fanOut(n, "") // every step at once
	return func(b build, dir string) (metrics, error) {
		if os.Geteuid() != 0 {
			return nil, fmt.Errorf("burst-user%d needs root (steps run as the step user)", n)
		}
		wfs, err := runManifest(b, dir, manifest, 1, "--step-user", "65534:65534")
		if err != nil {
			return nil, err
		}
		per := span(wfs) / time.Duration(n)
		return metrics{{"ms/step", ms(per)}}, nil
	}
}

// drainCase runs 1,000 workflows through one semaphore of limit 10.
func drainCase(b build, dir string) (metrics, error) {
	var wall time.Duration
	floor, err := bracketFloor(10, func() error {
		wfs, err := runManifest(b, dir, onSemaphore(10), 1000)
		if err == nil {
			wall = span(wfs)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	per := wall / 1000
	return metrics{{"ms/workflow", ms(per)}, {"floor-ms", ms(floor)}, {"wf/floor", float64(per) / float64(floor)}}, nil
}

// handoffCase queues 100 workflows on a mutex (a semaphore of limit 1)
// and measures each handoff by the supervisor's clock: one step's process
// ended → the next one's process running. loaded runs a CPU burner on
// every core meanwhile.
func handoffCase(loaded bool) func(build, string) (metrics, error) {
	return func(b build, dir string) (metrics, error) {
		if loaded {
			stop, err := startBurner()
			if err != nil {
				return nil, err
			}
			defer stop()
		}
		wfs, err := runManifest(b, dir, onSemaphore(1), 100)
		if err != nil {
			return nil, err
		}
		gaps, err := handoffGaps(wfs)
		if err != nil {
			return nil, err
		}
		return metrics{{"p50-ms", ms(gaps[len(gaps)/2])}, {"p99-ms", ms(gaps[len(gaps)*99/100])}}, nil
	}
}

func handoffGaps(wfs []workflow) ([]time.Duration, error) {
	type interval struct{ start, end time.Time }
	var spans []interval
	for _, wf := range wfs {
		for _, n := range wf.Status.Nodes {
			if n.Type == "Pod" && n.StartedAt != nil && n.FinishedAt != nil {
				spans = append(spans, interval{*n.StartedAt, *n.FinishedAt})
			}
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start.Before(spans[j].start) })
	var gaps []time.Duration
	for i := 1; i < len(spans); i++ {
		if spans[i].start.Before(spans[i-1].end) {
			return nil, fmt.Errorf("step %d started before step %d ended: the mutex was held twice", i, i-1)
		}
		gaps = append(gaps, spans[i].start.Sub(spans[i-1].end))
	}
	if len(gaps) == 0 {
		return nil, fmt.Errorf("no handoffs recorded")
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
	return gaps, nil
}
