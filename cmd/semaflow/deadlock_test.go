package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// crossedWorkflow holds mutex first for its whole main template, naps,
// then asks for mutex second: run beside its mirror image, each gets its
// first lock and then waits for the other's.
func crossedWorkflow(name, first, second, nap string) string {
	return `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: ` + name + `}
spec:
  entrypoint: main
  templates:
  - name: main
    synchronization: {mutexes: [{name: ` + first + `}]}
    steps:
    - [{name: hold, template: nap}]
    - [{name: take, template: take-` + second + `}]
  - name: nap
    script: {image: alpine, command: [sh], source: "sleep ` + nap + `"}
  - name: take-` + second + `
    synchronization: {mutexes: [{name: ` + second + `}]}
    container: {image: alpine, command: ["true"]}
`
}

func crossedDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range map[string]string{
		"ab.yaml": crossedWorkflow("wf-ab", "a", "b", "1"),
		"ba.yaml": crossedWorkflow("wf-ba", "b", "a", "1.2"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Lint sees A then B in one file and B then A in another, and says where.
func TestLintFindsLockOrderInversion(t *testing.T) {
	dir := crossedDir(t)
	out, code := run(t, "lint", dir)
	if code != 1 || !strings.Contains(out, "lock-order inversion: Workflow wf-ab: main > take-b holds mutex default/Mutex/a (") ||
		!strings.Contains(out, "ab.yaml:8 (spec.templates[0].synchronization.mutexes[0])") ||
		!strings.Contains(out, "ba.yaml:15 (spec.templates[2].synchronization.mutexes[0])") {
		t.Fatalf("want lint to fail naming both paths (exit %d):\n%s", code, out)
	}
	// run refuses it as lint does.
	if out, code := run(t, "run", "--plain", filepath.Join(dir, "ab.yaml"), filepath.Join(dir, "ba.yaml")); code == 0 || !strings.Contains(out, "nothing was run") {
		t.Fatalf("want run to refuse the inversion (exit %d):\n%s", code, out)
	}
}

// With lint bypassed the engine sees the cycle form and, within a
// second, fails the youngest waiter with the cycle named; the other
// workflow then gets its lock and succeeds.
func TestEngineBreaksDeadlock(t *testing.T) {
	dir := crossedDir(t)
	out, code := run(t, "run", "--no-lint", "-o", "json", filepath.Join(dir, "ab.yaml"), filepath.Join(dir, "ba.yaml"))
	if code == 0 {
		t.Fatalf("want exit 1 (one workflow failed), got 0:\n%s", out)
	}
	type node struct {
		DisplayName string     `json:"displayName"`
		FinishedAt  *time.Time `json:"finishedAt"`
	}
	wfs := map[string]struct {
		phase, msg string
		nodes      map[string]node
	}{}
	start := strings.Index(out, "{")
	if start < 0 {
		t.Fatalf("no JSON in:\n%s", out)
	}
	dec := json.NewDecoder(strings.NewReader(out[start:]))
	for dec.More() {
		var wf struct {
			Metadata struct{ Name string }
			Status   struct {
				Phase, Message string
				Nodes          map[string]node
			}
		}
		if err := dec.Decode(&wf); err != nil {
			t.Fatalf("%v in:\n%s", err, out)
		}
		w := wfs[wf.Metadata.Name]
		w.phase, w.msg, w.nodes = wf.Status.Phase, wf.Status.Message, wf.Status.Nodes
		wfs[wf.Metadata.Name] = w
	}
	ab, ba := wfs["wf-ab"], wfs["wf-ba"]
	if ab.phase != "Succeeded" || ba.phase != "Failed" {
		t.Fatalf("want wf-ab Succeeded and wf-ba (the younger) Failed, got %q and %q:\n%s", ab.phase, ba.phase, out)
	}
	want := "deadlock: default/wf-ba (node wf-ba[1].take) waits for mutex default/Mutex/a held by default/wf-ab (node wf-ab), " +
		"which waits, through default/wf-ab (node wf-ab[1].take), for mutex default/Mutex/b held by default/wf-ba (node wf-ba); " +
		"failed the youngest waiter, default/wf-ba (node wf-ba[1].take)"
	if !strings.Contains(ba.msg, want) {
		t.Fatalf("want the cycle named:\n%s\ngot:\n%s", want, ba.msg)
	}
	// The cycle forms when the later nap ends and its step asks for its
	// second lock; the victim fails within a second of it.
	var formed, failed time.Time
	for _, w := range []string{"wf-ab", "wf-ba"} {
		for _, n := range wfs[w].nodes {
			if n.DisplayName == "hold" && n.FinishedAt != nil && n.FinishedAt.After(formed) {
				formed = *n.FinishedAt
			}
		}
	}
	for _, n := range ba.nodes {
		if n.DisplayName == "take" && n.FinishedAt != nil {
			failed = *n.FinishedAt
		}
	}
	if formed.IsZero() || failed.IsZero() || failed.Sub(formed) > time.Second {
		t.Fatalf("want the victim failed within 1s of the cycle forming: formed %v, failed %v", formed, failed)
	}
	t.Logf("cycle formed %s, victim failed %s later", formed.Format(time.RFC3339Nano), failed.Sub(formed))
}
