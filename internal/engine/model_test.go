package engine_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/engine"
	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/spec"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

// TestModelEngine is the engine-level variant of the reconciler's model
// test (internal/reconcile/model_test.go): smaller random workflows (steps
// or a DAG, retries without backoff, exit hooks, `when`, `continueOn`,
// withItems, a mutex) run through the engine, its store and its lock
// manager, with a fake executor whose steps end at once as their command
// says. Each run must end, leave every node final, no lock held or
// waited for in the store, and end the same way when run again. It runs
// 10 workflows; SEMAFLOW_MODEL_CHECKS=N runs N/20 of them.
func TestModelEngine(t *testing.T) {
	checks := 10
	if v := os.Getenv("SEMAFLOW_MODEL_CHECKS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("SEMAFLOW_MODEL_CHECKS=%q: %v", v, err)
		}
		checks = max(n/20, 1)
	}
	if f := flag.Lookup("rapid.checks"); f != nil {
		old := f.Value.String()
		_ = f.Value.Set(strconv.Itoa(checks))
		t.Cleanup(func() { _ = f.Value.Set(old) })
	}
	db := testkit.OpenStore(t)
	fx := &instantExec{}
	eng := testkit.NewEngine(t, db, func(started func(string, time.Time), done func(string, *executor.Result)) engine.Executor {
		fx.started, fx.done = started, done
		return fx
	})
	runs := 0
	rapid.Check(t, func(rt *rapid.T) {
		text, maxNodes := genEngineWorkflow(rt)
		var summaries [2]string
		for i := range summaries {
			runs++
			name := fmt.Sprintf("m%d", runs)
			f := spec.Parse("model.yaml", []byte(strings.ReplaceAll(text, "NAME", name)), spec.Options{})
			if d := f.AllDiags(); d.HasErrors() {
				rt.Fatalf("generated workflow is invalid: %v\n%s", d, text)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			sub, err := eng.Submit(ctx, f.Docs[0].Workflow)
			if err != nil {
				cancel()
				rt.Fatalf("submit: %v\n%s", err, text)
			}
			final, err := eng.Wait(ctx, sub.Metadata.UID)
			cancel()
			if err != nil {
				rt.Fatalf("the workflow did not end within 30s: %v\n%s", err, text)
			}
			if n := len(final.Status.Nodes); n > maxNodes {
				rt.Fatalf("%d nodes, over the %d the spec allows\n%s", n, maxNodes, text)
			}
			for _, n := range final.Status.Nodes {
				switch n.Phase {
				case wfv1.PhaseSucceeded, wfv1.PhaseFailed, wfv1.PhaseError, wfv1.PhaseSkipped, wfv1.PhaseOmitted:
				default:
					rt.Fatalf("the workflow ended %s but node %s is %s\n%s", final.Status.Phase, n.Name, n.Phase, text)
				}
			}
			eng.Drain()
			err = db.View(context.Background(), func(tx store.Tx) error {
				st, err := tx.LoadLocks(context.Background())
				if err != nil {
					return err
				}
				if len(st.Holds) > 0 || len(st.Waiters) > 0 {
					return fmt.Errorf("after the end the store holds %v and queues %v", st.Holds, st.Waiters)
				}
				return nil
			})
			if err != nil {
				rt.Fatalf("%v\n%s", err, text)
			}
			summaries[i] = summarize(final, name)
		}
		if a, b := common(summaries[0], summaries[1]); a != b {
			rt.Fatalf("the same workflow ended differently:\n%s\nthen:\n%s\n%s", summaries[0], summaries[1], text)
		}
	})
}

// summarize is how a run ended, with the workflow's name taken out and
// node IDs (hashes of the name) replaced by node names.
func summarize(wf *wfv1.Workflow, name string) string {
	msg := wf.Status.Message
	for id, n := range wf.Status.Nodes {
		msg = strings.ReplaceAll(msg, "'"+id+"'", "'"+n.Name+"'")
	}
	lines := []string{fmt.Sprintf("%s %q", wf.Status.Phase, strings.ReplaceAll(msg, name, "NAME"))}
	for _, n := range wf.Status.Nodes {
		lines = append(lines, fmt.Sprintf("%s %s %s", strings.ReplaceAll(n.Name, name, "NAME"), n.Type, n.Phase))
	}
	sort.Strings(lines[1:])
	return strings.Join(lines, "\n")
}

// common keeps the workflow's line and the node lines whose node both runs
// made. Steps here end at once and their ends reach the engine in whatever
// order the goroutines run, so a DAG that fails fast may or may not have
// started (or skipped) a task before it saw the failure, as in Argo; the
// nodes both runs made must still end alike.
func common(a, b string) (string, string) {
	name := func(line string) string { return strings.SplitN(line, " ", 2)[0] }
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	in := func(lines []string) map[string]bool {
		m := map[string]bool{}
		for _, l := range lines[1:] {
			m[name(l)] = true
		}
		return m
	}
	ina, inb := in(la), in(lb)
	keep := func(lines []string, other map[string]bool) string {
		out := lines[:1:1]
		for _, l := range lines[1:] {
			if other[name(l)] {
				out = append(out, l)
			}
		}
		return strings.Join(out, "\n")
	}
	return keep(la, inb), keep(lb, ina)
}

// genEngineWorkflow draws a workflow named NAME and the most nodes its
// spec allows. Step results are in the commands: `fail` exits 1, `flaky
// N K` exits 1 until N reaches K.
func genEngineWorkflow(rt *rapid.T) (string, int) {
	chance := func(pct int, label string) bool { return rapid.IntRange(0, 99).Draw(rt, label) >= 100-pct }
	var b strings.Builder
	b.WriteString("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: NAME}\nspec:\n  entrypoint: main\n")
	total := 0
	if chance(25, "onexit") {
		b.WriteString("  onExit: ok\n")
		total++
	}
	if chance(15, "wf-lock") {
		b.WriteString("  synchronization: {mutexes: [{name: w}]}\n")
	}
	limit := rapid.IntRange(0, 2).Draw(rt, "limit")
	fmt.Fprintf(&b, `  templates:
  - {name: ok, container: {image: x, command: [ok]}}
  - {name: fail, container: {image: x, command: [fail]}}
  - {name: locked, synchronization: {mutexes: [{name: m}]}, container: {image: x, command: [ok]}}
  - name: flaky
    retryStrategy: {limit: %d}
    container: {image: x, command: [flaky, "{{retries}}", "%d"]}
`, limit, rapid.IntRange(0, 3).Draw(rt, "flaky-k"))
	tmpls := []string{"ok", "fail", "locked", "flaky"}
	nodesOf := map[string]int{"ok": 1, "fail": 1, "locked": 1, "flaky": 2 + limit}
	dag := chance(50, "dag")
	if dag {
		b.WriteString("  - name: main\n    dag:\n      tasks:\n")
	} else {
		b.WriteString("  - name: main\n    steps:\n")
	}
	total++
	n := rapid.IntRange(1, 5).Draw(rt, "calls")
	for i := range n {
		name := fmt.Sprintf("c%d", i)
		t := tmpls[rapid.IntRange(0, len(tmpls)-1).Draw(rt, name+"-tmpl")]
		fields := []string{"name: " + name, "template: " + t}
		per := nodesOf[t]
		if dag && i > 0 && chance(50, name+"-dep") {
			fields = append(fields, fmt.Sprintf("depends: \"c%d || c%d.Failed\"", i-1, i-1))
		}
		if chance(20, name+"-when") {
			fields = append(fields, fmt.Sprintf("when: \"%d == 1\"", rapid.IntRange(0, 1).Draw(rt, name+"-whenlit")))
		}
		if chance(20, name+"-continue") {
			fields = append(fields, "continueOn: {failed: true}")
		}
		if chance(20, name+"-onexit") {
			fields = append(fields, "onExit: ok")
			per++
		}
		if chance(20, name+"-items") {
			fields = append(fields, "withItems: [1, 2]")
			per = 2*per + 1
		}
		if dag {
			fmt.Fprintf(&b, "      - {%s}\n", strings.Join(fields, ", "))
		} else {
			total++ // the StepGroup
			fmt.Fprintf(&b, "    - - {%s}\n", strings.Join(fields, ", "))
		}
		total += per
	}
	return b.String(), total
}

// instantExec ends each step as soon as it starts, as its command says.
type instantExec struct {
	started func(string, time.Time)
	done    func(string, *executor.Result)
	wg      sync.WaitGroup
}

func (x *instantExec) Start(j executor.Job) error {
	exit := 0
	switch cmd := j.Spec.Command; {
	case len(cmd) > 0 && cmd[0] == "fail":
		exit = 1
	case len(cmd) == 3 && cmd[0] == "flaky":
		n, _ := strconv.Atoi(cmd[1])
		k, _ := strconv.Atoi(cmd[2])
		if n < k {
			exit = 1
		}
	}
	x.wg.Add(1)
	go func() {
		defer x.wg.Done()
		now := time.Now()
		x.started(j.Key, now)
		x.done(j.Key, &executor.Result{ExitCode: exit, Stdout: "ok\n", Started: now, Finished: time.Now()})
	}()
	return nil
}

func (x *instantExec) Kill(string, string) {}
func (x *instantExec) Close() error        { x.wg.Wait(); return nil }
func (x *instantExec) Detach()             {}
