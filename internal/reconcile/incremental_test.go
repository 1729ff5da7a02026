package reconcile

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/spec"
)

// lockstep returns a reconcile for the simulator that runs every call
// twice: the old walk on a copy of the workflow, then the incremental one
// (with its cache kept across calls) on the workflow itself, and fails
// unless both leave the same workflow and the same plan.
//
// outside, when set, changes the workflow before a call as the engine
// may between calls (through the cache, or followed by its Reset).
func lockstep(fail func(string, ...any), res Resolver, outside func(*wfv1.Workflow, *Cache)) func(*wfv1.Workflow, []Event, time.Time) *Plan {
	cache := NewCache()
	call := 0
	return func(wf *wfv1.Workflow, events []Event, now time.Time) *Plan {
		call++
		if outside != nil {
			outside(wf, cache)
		}
		var shadow wfv1.Workflow
		var shadowEvents []Event
		roundTripJSON(fail, wf, &shadow)
		roundTripJSON(fail, events, &shadowEvents)
		before := mustJSON(fail, wf)
		old := reconcileWalk(&shadow, shadowEvents, now, res, spec.Limits{}, walkOpts{legacy: true})
		plan := reconcileWalk(wf, events, now, res, spec.Limits{}, walkOpts{cache: cache})
		if a, b := mustJSON(fail, &shadow), mustJSON(fail, wf); a != b {
			fail("call %d: the incremental walk left a different workflow than the old one\nbefore: %s\nold: %s\nnew: %s", call, before, a, b)
		}
		// Release is built from a map: its order is not the walk's.
		slices.Sort(old.Release)
		slices.Sort(plan.Release)
		if a, b := mustJSON(fail, old), mustJSON(fail, plan); a != b {
			fail("call %d: the incremental walk planned differently\nold: %s\nnew: %s", call, a, b)
		}
		checkKept(fail, call, wf, cache)
		return plan
	}
}

// checkKept fails unless the node state the cache keeps is what a call
// would rebuild from the workflow: the same nodes and the same sums.
func checkKept(fail func(string, ...any), call int, wf *wfv1.Workflow, c *Cache) {
	s := c.state
	if s == nil {
		return
	}
	if s.busy {
		fail("call %d: the kept node state is still marked busy", call)
	}
	if len(s.nodes) != len(wf.Status.Nodes) {
		fail("call %d: %d nodes kept, the workflow has %d", call, len(s.nodes), len(wf.Status.Nodes))
	}
	var want nodeState
	altPrefix := wf.Metadata.Name + "-x"
	for id, n := range wf.Status.Nodes {
		k := s.nodes[id]
		if k == nil {
			fail("call %d: node %s is not kept", call, id)
		}
		if a, b := mustJSON(fail, n), mustJSON(fail, k); a != b {
			fail("call %d: kept node %s differs from the workflow's\nworkflow: %s\nkept: %s", call, id, a, b)
		}
		x := contribOf(&n, id, altPrefix)
		want.nameBytes += x.name
		want.outputBytes += x.out
		want.activePods += x.active
		want.daemoned += x.daemoned
		want.hasAlt = want.hasAlt || x.alt
	}
	if want.daemoned != s.daemoned {
		fail("call %d: %d daemoned nodes kept, the nodes have %d", call, s.daemoned, want.daemoned)
	}
	if want.nameBytes != s.nameBytes || want.outputBytes != s.outputBytes || want.activePods != s.activePods || want.hasAlt != s.hasAlt {
		fail("call %d: kept sums (names %d, outputs %d, active pods %d, alt %v) differ from the nodes' (%d, %d, %d, %v)", call,
			s.nameBytes, s.outputBytes, s.activePods, s.hasAlt, want.nameBytes, want.outputBytes, want.activePods, want.hasAlt)
	}
	checkKeptProgress(fail, call, wf, s)
}

func roundTripJSON(fail func(string, ...any), in, out any) {
	b, err := json.Marshal(in)
	if err != nil {
		fail("marshal: %v", err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		fail("unmarshal: %v", err)
	}
}

func mustJSON(fail func(string, ...any), v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		fail("marshal: %v", err)
	}
	return string(b)
}

// TestIncrementalMatchesOldWalk runs the model test's random workflows
// (steps, DAGs, loops, retries, hooks, locks, stop and terminate) with
// random step results, and requires the incremental walk to leave the
// same nodes, phases, outputs and plan as the old walk at every call.
func TestIncrementalMatchesOldWalk(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		w := genWorkflowOf(rt)
		drawn := map[string]outcome{}
		draw := func(l Launch) outcome {
			if o, ok := drawn[l.NodeName]; ok {
				return o
			}
			o := drawOutcome(rt, l)
			drawn[l.NodeName] = o
			return o
		}
		fail := func(format string, args ...any) {
			rt.Fatalf("%s\n--- workflow:\n%s", fmt.Sprintf(format, args...), w.yaml)
		}
		s := newSim(&modelTB{rt: rt, fail: fail}, w.yaml, draw)
		s.locks = true
		s.deadlineKill = true
		s.maxCalls = 50*w.maxNodes + 200
		if w.control != 0 {
			s.control, s.controlAt = w.control, s.now.Add(w.controlAfter)
		}
		s.keep = true
		s.reconcile = lockstep(fail, s.res, outsideChanges(rapid.Int64().Draw(rt, "outside")))
		s.run()
	})
}

// outsideChanges changes the workflow between calls as the engine may:
// a lock's waiting message through the cache, a node changed and the
// cache reset, the node map replaced.
func outsideChanges(seed int64) func(*wfv1.Workflow, *Cache) {
	rnd := rand.New(rand.NewSource(seed))
	call := 0
	return func(wf *wfv1.Workflow, c *Cache) {
		call++
		if len(wf.Status.Nodes) == 0 {
			return
		}
		ids := slices.Sorted(maps.Keys(wf.Status.Nodes))
		id := ids[rnd.Intn(len(ids))]
		switch rnd.Intn(10) {
		case 0, 1:
			holder := domain.HolderKey{Namespace: wf.Metadata.Namespace, Workflow: wf.Metadata.Name, NodeID: id}.String()
			c.SetWaitingMessage(wf, holder, fmt.Sprintf("Waiting for x lock (call %d)", call))
		case 2:
			n := wf.Status.Nodes[id]
			n.Message = fmt.Sprintf("changed outside (call %d)", call)
			wf.Status.Nodes[id] = n
			c.Reset()
		case 3:
			wf.Status.Nodes = maps.Clone(wf.Status.Nodes)
		}
	}
}

// TestIncrementalLoops does the same for loops of every kind, nested and
// large enough that parallelism makes many calls walk a half-done loop.
func TestIncrementalLoops(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(0, 30).Draw(rt, "items")
		par := rapid.IntRange(0, 4).Draw(rt, "parallelism")
		kind := rapid.SampledFrom([]string{"sequence", "items", "param", "dag"}).Draw(rt, "kind")
		hooks := rapid.Bool().Draw(rt, "hooks")
		var loop string
		switch kind {
		case "sequence", "dag":
			loop = fmt.Sprintf(`withSequence: {count: "%d"}`, n)
		case "items":
			var items []string
			for i := range n {
				items = append(items, fmt.Sprintf(`{"a": %d, "b": "x%d"}`, i, i%3))
			}
			loop = "withItems: [" + strings.Join(items, ", ") + "]"
		case "param":
			loop = `withParam: "{{steps.gen.outputs.result}}"`
		}
		extra := ""
		if hooks {
			extra = ", onExit: ok"
		}
		var b strings.Builder
		b.WriteString(header + "  entrypoint: main\n  templates:\n  - name: main\n")
		if par > 0 {
			fmt.Fprintf(&b, "    parallelism: %d\n", par)
		}
		if kind == "dag" {
			fmt.Fprintf(&b, "    dag:\n      tasks:\n      - {name: fan, template: ok, %s%s}\n", loop, extra)
			b.WriteString("      - {name: after, template: ok, depends: fan, arguments: {parameters: [{name: p, value: \"{{tasks.fan.outputs.result}}\"}]}}\n")
		} else {
			b.WriteString("    steps:\n    - - {name: gen, template: gen}\n")
			fmt.Fprintf(&b, "    - - {name: fan, template: ok, %s%s, continueOn: {failed: true}}\n", loop, extra)
			b.WriteString("    - - {name: after, template: ok, arguments: {parameters: [{name: p, value: \"{{steps.fan.outputs.result}}\"}]}}\n")
		}
		b.WriteString("  - name: ok\n    inputs: {parameters: [{name: p, default: \"\"}]}\n    container: {image: x, command: [echo, ok]}\n")
		b.WriteString("  - {name: gen, container: {image: x, command: [gen]}}\n")
		list := make([]string, n)
		for i := range list {
			list[i] = fmt.Sprint(i)
		}
		fails := rapid.SliceOfN(rapid.IntRange(0, 9), n+4, n+4).Draw(rt, "fails")
		i := 0
		fail := func(format string, args ...any) {
			rt.Fatalf("%s\n--- workflow:\n%s", fmt.Sprintf(format, args...), b.String())
		}
		s := newSim(&modelTB{rt: rt, fail: fail}, b.String(), func(l Launch) outcome {
			i++
			o := outcome{takes: time.Duration(1+fails[i%len(fails)]%3) * time.Second, stdout: fmt.Sprint(i)}
			if strings.HasSuffix(l.NodeName, ".gen") {
				o.stdout = "[" + strings.Join(list, ",") + "]"
			} else if fails[i%len(fails)] == 0 {
				o.exit = 1
			}
			return o
		})
		s.keep = true
		s.reconcile = lockstep(fail, s.res, nil)
		s.run()
	})
}

// TestLoopWorkIsLinear counts what the walks of a 1,000-item fan-out do
// over its whole run: the loop's list is decoded once, and an item's
// scope is built only for the calls that start or follow it (not for
// every finished item on every call), so the work grows linearly with
// the loop, not with its square.
func TestLoopWorkIsLinear(t *testing.T) {
	const n, par = 1000, 10
	for _, kind := range []string{"steps", "dag"} {
		t.Run(kind, func(t *testing.T) {
			src := header + "  entrypoint: main\n  templates:\n  - name: main\n" + fmt.Sprintf("    parallelism: %d\n", par)
			if kind == "dag" {
				src += fmt.Sprintf("    dag:\n      tasks:\n      - {name: many, template: echo, withSequence: {count: \"%d\"}}\n", n)
			} else {
				src += fmt.Sprintf("    steps:\n    - - {name: many, template: echo, withSequence: {count: \"%d\"}}\n", n)
			}
			src += "  - {name: echo, container: {image: x, command: [\"true\"]}}\n"
			s := newSim(t, src, succeed)
			var work workCount
			cache := NewCache()
			calls := 0
			s.reconcile = func(wf *wfv1.Workflow, events []Event, now time.Time) *Plan {
				calls++
				return reconcileWalk(wf, events, now, s.res, spec.Limits{}, walkOpts{cache: cache, work: &work})
			}
			wf := s.run()
			if wf.Status.Phase != wfv1.PhaseSucceeded {
				t.Fatalf("phase %s: %s", wf.Status.Phase, wf.Status.Message)
			}
			t.Logf("%d calls: %d expansions, %d item scopes", calls, work.expansions, work.scopes)
			if work.expansions > 2 {
				t.Errorf("the loop's list was decoded %d times in %d calls, want once (kept across calls)", work.expansions, calls)
			}
			// Each item: one scope to start it, and at most a couple more
			// while it runs.
			if work.scopes > 3*n {
				t.Errorf("%d item scopes built for %d items, want at most %d: finished items are revisited on every call", work.scopes, n, 3*n)
			}
		})
	}
}

// checkKeptProgress fails unless the kept progress sums are those of the
// nodes: a unit is its own, a parent the sum of its children's.
func checkKeptProgress(fail func(string, ...any), call int, wf *wfv1.Workflow, s *nodeState) {
	ps := s.prog
	if ps == nil {
		return
	}
	var sum func(id string, depth int) progress
	sum = func(id string, depth int) progress {
		n := wf.Status.Nodes[id]
		if countsAsWork(n.Type) {
			return unitOf(&n)
		}
		var p progress
		for _, c := range n.Children {
			if depth < len(wf.Status.Nodes) {
				p = p.add(sum(c, depth+1))
			}
		}
		return p
	}
	var all progress
	for id, n := range wf.Status.Nodes {
		if countsAsWork(n.Type) {
			all = all.add(unitOf(&n))
		}
		if got, want := ps.sums[id], sum(id, 0); got != want {
			fail("call %d: kept progress of %s is %s, its nodes sum to %s", call, id, got, want)
		}
		for _, c := range n.Children {
			if ps.parent[c] != id {
				fail("call %d: kept parent of %s is %q, want %s", call, c, ps.parent[c], id)
			}
		}
	}
	if ps.all != all || wf.Status.Progress != all.String() {
		fail("call %d: kept workflow progress %s (status %s), the nodes sum to %s", call, ps.all, wf.Status.Progress, all)
	}
}

// TestIncrementalWideDAGs runs wide DAGs, where the walk skips the
// finished prefix and stops at the first task that cannot start: plain
// tasks mixed with tasks that depend on others (some on a failure, so
// they are omitted), loops, hooks, failures with and without continueOn,
// failFast on and off, a workflow and a template parallelism, a stop or
// terminate, and the workflow changed from outside between calls.
func TestIncrementalWideDAGs(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(1, 25).Draw(rt, "tasks")
		var b strings.Builder
		b.WriteString(header + "  entrypoint: main\n")
		if p := rapid.IntRange(0, 4).Draw(rt, "wf parallelism"); p > 0 {
			fmt.Fprintf(&b, "  parallelism: %d\n", p)
		}
		b.WriteString("  templates:\n  - name: main\n")
		if p := rapid.IntRange(0, 4).Draw(rt, "dag parallelism"); p > 0 {
			fmt.Fprintf(&b, "    parallelism: %d\n", p)
		}
		b.WriteString("    dag:\n")
		if rapid.Bool().Draw(rt, "failFast off") {
			b.WriteString("      failFast: false\n")
		}
		b.WriteString("      tasks:\n")
		for i := range n {
			fmt.Fprintf(&b, "      - {name: t%d, template: work", i)
			switch rapid.IntRange(0, 9).Draw(rt, fmt.Sprintf("kind %d", i)) {
			case 0:
				if i > 0 {
					fmt.Fprintf(&b, ", depends: t%d", rapid.IntRange(0, i-1).Draw(rt, fmt.Sprintf("dep %d", i)))
				}
			case 1:
				if i > 0 {
					fmt.Fprintf(&b, ", depends: t%d.Failed", rapid.IntRange(0, i-1).Draw(rt, fmt.Sprintf("dep %d", i)))
				}
			case 2:
				b.WriteString(`, withSequence: {count: "3"}`)
			case 3:
				b.WriteString(", onExit: work")
			case 4:
				b.WriteString(", continueOn: {failed: true}")
			}
			b.WriteString("}\n")
		}
		b.WriteString("  - name: work\n    container: {image: x, command: [work]}\n")
		fails := rapid.SliceOfN(rapid.IntRange(0, 9), 8, 8).Draw(rt, "fails")
		k := 0
		fail := func(format string, args ...any) {
			rt.Fatalf("%s\n--- workflow:\n%s", fmt.Sprintf(format, args...), b.String())
		}
		s := newSim(&modelTB{rt: rt, fail: fail}, b.String(), func(l Launch) outcome {
			k++
			f := fails[k%len(fails)]
			o := outcome{takes: time.Duration(1+f%3) * time.Second}
			if f == 0 {
				o.exit = 1
			}
			return o
		})
		s.keep = true
		s.maxCalls = 20*n + 200
		if c := rapid.SampledFrom([]EventKind{0, Stop, Terminate}).Draw(rt, "control"); c != 0 {
			s.control, s.controlAt = c, s.now.Add(time.Duration(rapid.IntRange(0, 20).Draw(rt, "control after"))*time.Second)
		}
		s.reconcile = lockstep(fail, s.res, outsideChanges(rapid.Int64().Draw(rt, "outside")))
		s.run()
	})
}
