package reconcile

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/spec"
)

// outcome is what a simulated step does.
type outcome struct {
	exit    int
	stdout  string
	cut     bool // stdout went over the executor's cap
	outputs map[string]string
	takes   time.Duration
	// startErr: the command could not start (the executor's StartError).
	startErr string
	killed   string
	// http is an http template's outcome (stdout is its body).
	http *domain.HTTPResult
	// artifacts are the output artifacts the engine stored.
	artifacts []domain.StepArtifact
}

// simTB is what the simulator needs of a test: *testing.T, or *rapid.T
// so that a property test's failures shrink.
type simTB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// sim drives Reconcile like the engine does, with steps that finish after
// a simulated time. The workflow goes through JSON between calls, as it
// does through the store, so nothing depends on in-memory leftovers.
type sim struct {
	t       simTB
	wf      *wfv1.Workflow
	res     Resolver
	now     time.Time
	behave  func(l Launch) outcome
	running map[string]time.Time // node ID -> finish time
	results map[string]outcome
	// launches counts launches per node ID; maxActive is the peak number
	// of steps running at once.
	launches  map[string]int
	maxActive int
	order     []string // node names in launch order
	events    []Event
	calls     int
	wakeAt    time.Time
	// A one-permit-per-lock manager: requests queue FIFO per lock set.
	locks    bool
	held     map[string]string // lock key -> holder
	queue    []LockRequest
	fence    uint64
	acquired []string
	released []string
	tokens   map[string]map[string]uint64 // node name -> tokens seen at launch
	// control is sent (Stop or Terminate) once the simulated time reaches
	// controlAt; zero controlAt: never.
	control   EventKind
	controlAt time.Time
	// maxCalls bounds the reconcile calls (10000 when zero).
	maxCalls int
	// deadlineKill makes steps obey Launch.Deadline as the executor does:
	// killed at the deadline with PodDeadlineMessage.
	deadlineKill bool
	// runningAtDone is how many steps still ran when the plan first said
	// Done; the workflow must not end before its steps.
	runningAtDone int
	doneSeen      bool
	// onPlan, when set, sees every plan before the simulation acts on it
	// (memo_test.go plays the engine's cache writes there).
	onPlan func(p *Plan, now time.Time)
	// reconcile, when set, is called instead of Reconcile
	// (incremental_test.go compares two walks there).
	reconcile func(wf *wfv1.Workflow, events []Event, now time.Time) *Plan
	// keep skips the JSON round trip between calls, as the engine keeps
	// its workflow (benchmarks of large workflows).
	keep bool
}

func newSim(t simTB, yamlText string, behave func(Launch) outcome) *sim {
	t.Helper()
	f := spec.Parse("test.yaml", []byte(yamlText), spec.Options{})
	set := spec.NewSet(f)
	set.Validate()
	// What semaflow does not support yet is refused by lint, not by the
	// engine (which run --no-lint reaches): the simulation runs it.
	for _, d := range set.Diagnostics() {
		if d.Severity == spec.SeverityError && !d.Unhonoured {
			t.Fatalf("test manifest is invalid:\n%v", set.Diagnostics())
		}
	}
	var wf *wfv1.Workflow
	for _, d := range f.Docs {
		if d.Workflow != nil {
			wf = d.Workflow
		}
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if wf.Metadata.Name == "" {
		wf.Metadata.Name = wf.Metadata.GenerateName + "abcde"
	}
	wf.Metadata.CreationTimestamp = &start
	return &sim{t: t, wf: wf, res: set, now: start, behave: behave, running: map[string]time.Time{},
		results: map[string]outcome{}, launches: map[string]int{}}
}

func (s *sim) roundTrip() {
	b, err := json.Marshal(s.wf)
	if err != nil {
		s.t.Fatal(err)
	}
	var wf wfv1.Workflow
	if err := json.Unmarshal(b, &wf); err != nil {
		s.t.Fatal(err)
	}
	s.wf = &wf
}

// run steps the simulation until the workflow is done.
func (s *sim) run() *wfv1.Workflow {
	s.t.Helper()
	limit := s.maxCalls
	if limit == 0 {
		limit = 10000
	}
	for s.calls = 0; s.calls < limit; s.calls++ {
		if !s.controlAt.IsZero() && !s.now.Before(s.controlAt) {
			s.events = append(s.events, Event{Kind: s.control, At: s.now})
			s.controlAt = time.Time{}
		}
		var plan *Plan
		if s.reconcile == nil && os.Getenv("SEMAFLOW_LOCKSTEP") != "" {
			// Every simulated test as a differential one: the old walk
			// beside the incremental one, the workflow kept across calls.
			s.keep = true
			s.reconcile = lockstep(func(f string, a ...any) { s.t.Fatalf(f, a...) }, s.res, nil)
		}
		if s.reconcile != nil {
			plan = s.reconcile(s.wf, s.events, s.now)
		} else {
			plan = Reconcile(s.wf, s.events, s.now, s.res)
		}
		s.events = nil
		if s.onPlan != nil {
			s.onPlan(plan, s.now)
		}
		if !s.keep {
			s.roundTrip()
		}
		if s.locks {
			s.lockStep(plan)
		}
		// In ID order, so that a run is repeatable.
		kills := make([]string, 0, len(plan.Kill))
		for id := range plan.Kill {
			kills = append(kills, id)
		}
		sort.Strings(kills)
		starting := map[string]bool{}
		for _, l := range plan.Start {
			starting[l.NodeID] = true
		}
		// As the engine does: a step the plan starts and kills is killed
		// once started (below).
		for _, id := range kills {
			if starting[id] {
				continue
			}
			if _, ok := s.running[id]; ok {
				delete(s.running, id)
				s.events = append(s.events, Event{Kind: StepExited, NodeID: id, At: s.now,
					Result: &domain.StepResult{ExitCode: 137, Killed: plan.Kill[id], Started: s.now, Finished: s.now}})
			} else {
				// As the engine does for a step it never launched.
				s.events = append(s.events, Event{Kind: StepNotStarted, NodeID: id, At: s.now, Message: plan.Kill[id]})
			}
		}
		for _, l := range plan.Start {
			s.launches[l.NodeID]++
			if s.launches[l.NodeID] > 1 {
				s.t.Fatalf("node %s launched twice", l.NodeName)
			}
			o := s.behave(l)
			if s.deadlineKill && !l.Deadline.IsZero() && s.now.Add(o.takes).After(l.Deadline) {
				o = outcome{exit: 137, killed: PodDeadlineMessage, takes: max(l.Deadline.Sub(s.now), 0)}
			}
			s.results[l.NodeID] = o
			s.running[l.NodeID] = s.now.Add(o.takes)
			s.order = append(s.order, l.NodeName)
			if s.tokens == nil {
				s.tokens = map[string]map[string]uint64{}
			}
			s.tokens[l.NodeName] = l.Tokens
			s.events = append(s.events, Event{Kind: StepStarted, NodeID: l.NodeID, At: s.now})
			if reason, kill := plan.Kill[l.NodeID]; kill {
				delete(s.running, l.NodeID)
				s.events = append(s.events, Event{Kind: StepExited, NodeID: l.NodeID, At: s.now,
					Result: &domain.StepResult{ExitCode: 137, Killed: reason, Started: s.now, Finished: s.now}})
			}
		}
		s.maxActive = max(s.maxActive, len(s.running))
		if plan.Done && !s.doneSeen {
			s.doneSeen, s.runningAtDone = true, len(s.running)
		}
		if plan.Done && len(s.running) == 0 {
			return s.wf
		}
		if !plan.Partial {
			s.wakeAt = plan.WakeAt
		}
		if len(s.events) > 0 {
			continue
		}
		// Advance to the next step exit or wake-up.
		next := s.wakeAt
		if !s.controlAt.IsZero() && (next.IsZero() || s.controlAt.Before(next)) {
			next = s.controlAt
		}
		for _, at := range s.running {
			if next.IsZero() || at.Before(next) {
				next = at
			}
		}
		if next.IsZero() {
			s.t.Fatalf("workflow stuck in %s with nothing running:\n%s", s.wf.Status.Phase, s.dump())
		}
		if next.After(s.now) {
			s.now = next
		}
		var done []string
		for id, at := range s.running {
			if !at.After(s.now) {
				done = append(done, id)
			}
		}
		sort.Strings(done)
		for _, id := range done {
			delete(s.running, id)
			o := s.results[id]
			s.events = append(s.events, Event{Kind: StepExited, NodeID: id, At: s.now,
				Result: &domain.StepResult{ExitCode: o.exit, Stdout: o.stdout, Truncated: o.cut, Outputs: o.outputs,
					StartError: o.startErr, Killed: o.killed, HTTP: o.http, Artifacts: o.artifacts, Started: s.now.Add(-o.takes), Finished: s.now}})
		}
	}
	s.t.Fatalf("workflow did not finish after %d calls:\n%s", s.calls, s.dump())
	return nil
}

func (s *sim) dump() string {
	var lines []string
	for _, n := range s.wf.Status.Nodes {
		lines = append(lines, fmt.Sprintf("  %-50s %-10s %-9s %s", n.Name, n.Type, n.Phase, n.Message))
	}
	sort.Strings(lines)
	out := ""
	// A runaway makes thousands of nodes; the first hundred tell the story.
	for i, l := range lines {
		if i == 100 {
			out += fmt.Sprintf("  ... and %d more nodes\n", len(lines)-i)
			break
		}
		out += l + "\n"
	}
	return out
}

// node finds a node by name.
func (s *sim) node(name string) wfv1.NodeStatus {
	s.t.Helper()
	n, ok := s.wf.Status.Nodes[NodeID(s.wf.Metadata.Name, name)]
	if !ok {
		s.t.Fatalf("no node %q; nodes:\n%s", name, s.dump())
	}
	return n
}

func succeed(Launch) outcome { return outcome{takes: time.Second} }

// byTemplate runs each template's step with a fixed outcome.
func byTemplate(m map[string]outcome) func(Launch) outcome {
	return func(l Launch) outcome {
		if o, ok := m[l.Template.Name]; ok {
			if o.takes == 0 {
				o.takes = time.Second
			}
			return o
		}
		return outcome{takes: time.Second}
	}
}

// args returns a launched step's resolved command line.
func args(l Launch) []string {
	if l.Template.Container != nil {
		return append(append([]string{}, l.Template.Container.Command...), l.Template.Container.Args...)
	}
	return nil
}

// lockStep plays a lock manager where every lock has one permit.
func (s *sim) lockStep(plan *Plan) {
	if s.held == nil {
		s.held = map[string]string{}
	}
	for _, h := range plan.Release {
		s.released = append(s.released, h)
		for k, owner := range s.held {
			if owner == h {
				delete(s.held, k)
			}
		}
		kept := s.queue[:0]
		for _, r := range s.queue {
			if r.Holder != h {
				kept = append(kept, r)
			}
		}
		s.queue = kept
	}
	for _, r := range plan.Acquire {
		s.acquired = append(s.acquired, r.Holder)
		s.queue = append(s.queue, r)
	}
	kept := s.queue[:0]
	for _, r := range s.queue {
		free := true
		for _, l := range r.Locks {
			if _, taken := s.held[l.Key]; taken {
				free = false
			}
		}
		if !free {
			kept = append(kept, r)
			continue
		}
		var toks []domain.Token
		for _, l := range r.Locks {
			s.fence++
			s.held[l.Key] = r.Holder
			toks = append(toks, domain.Token{Lock: l.Key, Value: s.fence})
		}
		s.events = append(s.events, Event{Kind: LockGranted, Holder: r.Holder, Tokens: toks, At: s.now})
	}
	s.queue = kept
}
