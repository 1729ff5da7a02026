package reconcile

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
)

// attemptRun drives Reconcile with steps that each take a second and end
// as result says, given how many steps ran before; it returns the
// workflow, the launched node names in order, and how long it ran.
func attemptRun(t *testing.T, src string, result func(n int, l Launch) domain.StepResult) (*wfv1.Workflow, []string, time.Duration) {
	t.Helper()
	s := newSim(t, src, succeed)
	start := s.now
	var launched []string
	type exit struct {
		at time.Time
		r  domain.StepResult
	}
	running := map[string]exit{}
	var events []Event
	for call := 0; call < 2000; call++ {
		plan := Reconcile(s.wf, events, s.now, s.res)
		events = nil
		s.roundTrip()
		for _, l := range plan.Start {
			r := result(len(launched), l)
			launched = append(launched, l.NodeName)
			r.Started, r.Finished = s.now, s.now.Add(time.Second)
			running[l.NodeID] = exit{s.now.Add(time.Second), r}
			events = append(events, Event{Kind: StepStarted, NodeID: l.NodeID, At: s.now})
		}
		if plan.Done && len(running) == 0 {
			return s.wf, launched, s.now.Sub(start)
		}
		if len(launched) > 200 {
			t.Fatalf("%d steps launched: a runaway\n%s", len(launched), s.dump())
		}
		if len(events) > 0 {
			continue
		}
		next := plan.WakeAt
		for _, e := range running {
			if next.IsZero() || e.at.Before(next) {
				next = e.at
			}
		}
		if next.IsZero() {
			t.Fatalf("stuck in %s with nothing running\n%s", s.wf.Status.Phase, s.dump())
		}
		if next.After(s.now) {
			s.now = next
		}
		var ids []string
		for id, e := range running {
			if !e.at.After(s.now) {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		for _, id := range ids {
			r := running[id].r
			delete(running, id)
			events = append(events, Event{Kind: StepExited, NodeID: id, At: s.now, Result: &r})
		}
	}
	t.Fatalf("did not finish\n%s", s.dump())
	return nil, nil, 0
}

// results plays a script of step endings in launch order: "ok", "fail"
// (exit 1), "exitN", or "error:<message>" (the step could not start);
// past its end the last entry repeats.
func results(script ...string) func(int, Launch) domain.StepResult {
	return func(n int, _ Launch) domain.StepResult {
		s := script[min(n, len(script)-1)]
		switch {
		case s == "ok":
			return domain.StepResult{}
		case s == "fail":
			return domain.StepResult{ExitCode: 1}
		case strings.HasPrefix(s, "exit"):
			var code int
			_, _ = fmt.Sscanf(s, "exit%d", &code)
			return domain.StepResult{ExitCode: code}
		default:
			return domain.StepResult{StartError: strings.TrimPrefix(s, "error:")}
		}
	}
}

// TestTemplateRetryStrategyAsArgo checks a template's retryStrategy
// against Argo's processNodeRetries: limit, retryPolicy, expression and
// backoff, each ending in Argo's phase and message after the number of
// attempts Argo makes.
func TestTemplateRetryStrategyAsArgo(t *testing.T) {
	for _, tc := range []struct {
		name, strategy string
		script         []string
		attempts       int
		phase, message string
		took           time.Duration // 0: not checked
	}{
		{"limit 2", `{limit: 2}`, []string{"fail"}, 3, wfv1.PhaseFailed, "No more retries left", 0},
		{"limit 0", `{limit: 0}`, []string{"fail"}, 1, wfv1.PhaseFailed, "No more retries left", 0},
		{"limit as string", `{limit: "2"}`, []string{"fail"}, 3, wfv1.PhaseFailed, "No more retries left", 0},
		{"limit from an input", `{limit: "{{inputs.parameters.n}}"}`, []string{"fail"}, 2, wfv1.PhaseFailed, "No more retries left", 0},
		{"no limit until success", `{retryPolicy: Always}`, []string{"fail", "fail", "fail", "fail", "ok"}, 5, wfv1.PhaseSucceeded, "", 0},
		{"success stops", `{limit: 5}`, []string{"fail", "ok"}, 2, wfv1.PhaseSucceeded, "", 0},
		{"OnFailure does not retry an error", `{limit: 3, retryPolicy: OnFailure}`, []string{"error:no such file"}, 1, wfv1.PhaseError, "no such file", 0},
		{"default is OnFailure", `{limit: 3}`, []string{"error:no such file"}, 1, wfv1.PhaseError, "no such file", 0},
		{"OnError does not retry a failure", `{limit: 3, retryPolicy: OnError}`, []string{"fail"}, 1, wfv1.PhaseFailed, "Error (exit code 1)", 0},
		{"OnError retries errors", `{limit: 2, retryPolicy: OnError}`, []string{"error:boom"}, 3, wfv1.PhaseError, "No more retries left", 0},
		{"Always retries both", `{limit: 2, retryPolicy: Always}`, []string{"error:boom", "fail", "fail"}, 3, wfv1.PhaseFailed, "No more retries left", 0},
		{"OnTransientError retries a transient error", `{limit: 3, retryPolicy: OnTransientError}`, []string{"error:read: connection reset by peer", "ok"}, 2, wfv1.PhaseSucceeded, "", 0},
		{"OnTransientError stops on another error", `{limit: 3, retryPolicy: OnTransientError}`, []string{"error:no such file"}, 1, wfv1.PhaseError, "no such file", 0},
		{"OnTransientError stops on a failure", `{limit: 3, retryPolicy: OnTransientError}`, []string{"fail"}, 1, wfv1.PhaseFailed, "Error (exit code 1)", 0},
		{"expression false stops", `{limit: 5, expression: 'asInt(lastRetry.exitCode) == 2'}`, []string{"exit2", "exit2", "exit3"}, 3, wfv1.PhaseFailed, "retryStrategy.expression evaluated to false", 0},
		{"expression sees the last status", `{limit: 5, retryPolicy: Always, expression: 'lastRetry.status == "Error"'}`, []string{"error:x", "fail"}, 2, wfv1.PhaseFailed, "retryStrategy.expression evaluated to false", 0},
		{"limit before expression", `{limit: 1, expression: 'true'}`, []string{"fail"}, 2, wfv1.PhaseFailed, "No more retries left", 0},
		{"backoff with cap", `{limit: 4, backoff: {duration: 1s, factor: 2, cap: 3s}}`, []string{"fail"}, 5, wfv1.PhaseFailed, "No more retries left", 14 * time.Second},
		{"backoff would pass maxDuration", `{limit: 10, backoff: {duration: 10s, maxDuration: 15s}}`, []string{"fail"}, 2, wfv1.PhaseFailed, "Backoff would exceed max duration limit", 0},
		{"maxDuration passed", `{limit: 10, backoff: {duration: 1s, maxDuration: 2s}}`, []string{"fail"}, 2, wfv1.PhaseFailed, "Max duration limit exceeded", 0},
		{"bad limit", `{limit: "{{inputs.parameters.bad}}"}`, []string{"fail"}, 0, wfv1.PhaseError, `retryStrategy.limit "many" is not an integer`, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wf, launched, took := attemptRun(t, header+`  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: s, template: flaky, arguments: {parameters: [{name: n, value: "1"}]}}
  - name: flaky
    inputs: {parameters: [{name: n}, {name: bad, value: many}]}
    retryStrategy: `+tc.strategy+`
    container: {image: x, command: [work]}
`, results(tc.script...))
			n := wf.Status.Nodes[NodeID("wf", "wf[0].s")]
			if len(launched) != tc.attempts || n.Phase != tc.phase || !strings.Contains(n.Message, tc.message) {
				t.Fatalf("%d attempts, Retry node %s %q; want %d attempts, %s %q", len(launched), n.Phase, n.Message, tc.attempts, tc.phase, tc.message)
			}
			if n.Type != NodeRetry || n.NodeFlag != nil {
				t.Fatalf("node wf[0].s is %s with flag %+v, want an unflagged Retry node", n.Type, n.NodeFlag)
			}
			if tc.took != 0 && took != tc.took {
				t.Fatalf("took %s, want %s", took, tc.took)
			}
		})
	}
}

// TestWorkflowRetryStrategyAsArgo checks spec.retryStrategy: Argo uses it
// for every template that has none of its own (operator.go's
// retryStrategy), steps, DAGs and exit handlers included.
func TestWorkflowRetryStrategyAsArgo(t *testing.T) {
	for _, tc := range []struct {
		name, templates string
		script          []string
		launched        []string
		retry           map[string]int // Retry node -> attempts
		phase           string
	}{
		{"a container entrypoint", `
  - {name: main, container: {image: x, command: [work]}}`,
			[]string{"fail"}, []string{"wf(0)", "wf(1)"}, map[string]int{"wf": 2}, wfv1.PhaseFailed},
		{"the template's own wins", `
  - {name: main, retryStrategy: {limit: 2}, container: {image: x, command: [work]}}`,
			[]string{"fail"}, []string{"wf(0)", "wf(1)", "wf(2)"}, map[string]int{"wf": 3}, wfv1.PhaseFailed},
		{"steps are retried whole", `
  - name: main
    steps: [[{name: a, template: leaf}]]
  - {name: leaf, container: {image: x, command: [work]}}`,
			[]string{"fail"},
			[]string{"wf(0)[0].a(0)", "wf(0)[0].a(1)", "wf(1)[0].a(0)", "wf(1)[0].a(1)"},
			map[string]int{"wf": 2, "wf(0)[0].a": 2, "wf(1)[0].a": 2}, wfv1.PhaseFailed},
		{"a retried step succeeds", `
  - name: main
    steps: [[{name: a, template: leaf}]]
  - {name: leaf, container: {image: x, command: [work]}}`,
			[]string{"fail", "ok"}, []string{"wf(0)[0].a(0)", "wf(0)[0].a(1)"},
			map[string]int{"wf": 1, "wf(0)[0].a": 2}, wfv1.PhaseSucceeded},
		{"a DAG", `
  - name: main
    dag: {tasks: [{name: a, template: leaf}]}
  - {name: leaf, container: {image: x, command: [work]}}`,
			[]string{"fail", "ok"}, []string{"wf(0).a(0)", "wf(0).a(1)"},
			map[string]int{"wf": 1, "wf(0).a": 2}, wfv1.PhaseSucceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wf, launched, _ := attemptRun(t, header+`  entrypoint: main
  retryStrategy: {limit: 1}
  templates:`+tc.templates+"\n", results(tc.script...))
			if wf.Status.Phase != tc.phase || strings.Join(launched, " ") != strings.Join(tc.launched, " ") {
				t.Fatalf("%s after %v; want %s after %v", wf.Status.Phase, launched, tc.phase, tc.launched)
			}
			for name, want := range tc.retry {
				n := wf.Status.Nodes[NodeID("wf", name)]
				if n.Type != NodeRetry || len(n.Children) != want {
					t.Errorf("%s: %s with %d children, want a Retry node with %d attempts", name, n.Type, len(n.Children), want)
				}
			}
		})
	}
}

// Argo's TestWorkflowLevelHooksWithRetry (hooks_test.go): the entrypoint
// retries once and the workflow's hooks become children of its Retry
// node without counting as attempts.
func TestWorkflowHooksWithRetriedEntrypoint(t *testing.T) {
	wf, launched, _ := attemptRun(t, header+`  entrypoint: main
  hooks:
    failed: {template: hook, expression: workflow.status == "Failed"}
    running: {template: hook, expression: workflow.status == "Running"}
  templates:
  - {name: main, retryStrategy: {limit: 1}, container: {image: x, command: [work]}}
  - {name: hook, container: {image: x, command: [hook]}}
`, func(_ int, l Launch) domain.StepResult {
		if l.Template.Name == "main" {
			return domain.StepResult{ExitCode: 1}
		}
		return domain.StepResult{}
	})
	if wf.Status.Phase != wfv1.PhaseFailed {
		t.Fatalf("phase %s", wf.Status.Phase)
	}
	sort.Strings(launched)
	if got := strings.Join(launched, " "); got != "wf(0) wf(1) wf.hooks.failed wf.hooks.running" {
		t.Fatalf("launched %s", got)
	}
	root := wf.Status.Nodes["wf"]
	if root.Type != NodeRetry || root.Phase != wfv1.PhaseFailed || root.NodeFlag != nil || len(root.Children) != 4 {
		t.Fatalf("root %s %s flag %+v children %v", root.Type, root.Phase, root.NodeFlag, root.Children)
	}
	for name, want := range map[string]wfv1.NodeFlag{"wf(0)": {Retried: true}, "wf(1)": {Retried: true},
		"wf.hooks.failed": {Hooked: true}, "wf.hooks.running": {Hooked: true}} {
		n := wf.Status.Nodes[NodeID("wf", name)]
		if n.NodeFlag == nil || *n.NodeFlag != want || n.Phase == "" {
			t.Errorf("%s: %s flag %+v, want %+v", name, n.Phase, n.NodeFlag, want)
		}
	}
}
